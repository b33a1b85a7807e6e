-- FLOAT and DOUBLE values that a text round trip can change: the largest and
-- smallest normal and subnormal magnitudes, values with no short decimal
-- form, integers just past the mantissa, and their negatives. Compared at
-- full precision (a FLOAT widened to DOUBLE shows every bit of the float,
-- and MariaDB prints doubles in their shortest round-trip form): a migrator
-- that renders a float with too few digits, or rounds a FLOAT through
-- double precision the wrong way, writes a different value.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  f float,
  d double,
  fu float unsigned,
  f2 float(7,3),
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, f, d, fu, f2)
  select s, s / 7.0 * if(s % 2, -1, 1), s / 3.0e10 * pi(), s * 0.1, (s % 9999) / 7.0
  from (select cast(seq as signed) as s from seq_1_to_20000) q;
insert into gh_ost_test (id, f, d, fu, f2) values
  (20001, 3.40282e38, 1.7976931348623157e308, 3.40282e38, 9999.999),
  (20002, -3.40282e38, -1.7976931348623157e308, 0, -9999.999),
  (20003, 1.17549e-38, 2.2250738585072014e-308, 1.17549e-38, 0.001),
  (20004, 1e-45, 5e-324, 1e-45, -0.001),
  (20005, 0.1, 0.1, 0.1, 0.1),
  (20006, null, null, null, null);

drop event if exists gh_ost_test;
delimiter ;;
create event gh_ost_test
  on schedule every 1 second
  starts current_timestamp
  ends current_timestamp + interval 60 second
  on completion not preserve
  enable
  do
begin
  declare n int default 0;
  declare r int;
  while n < 10 do
    insert into gh_ost_test (f, d, fu, f2, tag) values
      (3.40282e38, 1.7976931348623157e308, 3.40282e38, 9999.999, 1),
      (-3.40282e38, -1.7976931348623157e308, 0, -9999.999, 2),
      (1e-45, 5e-324, 1e-45, 0.001, 3),
      (1/3, 1/3e0, 2/3, 1/3, 4),
      (null, null, null, null, 5);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set f = pi(), d = pi(), fu = exp(1), f2 = exp(1), tag = 6 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set f = 16777217, d = 9007199254740993, tag = 7 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set f = -f, d = -d, tag = 8 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
