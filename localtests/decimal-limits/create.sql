-- DECIMAL at its widest (65 digits, 30 after the point), negative values,
-- trailing zeros and the scale's smallest step; one column is widened by the
-- ALTER (scale grows, so the ghost shows extra trailing zeros the
-- comparison expects). A migrator that passes decimals through a float
-- loses digits here.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  d65 decimal(65,30),
  d10 decimal(10,2) not null default 0,
  du decimal(20,0) unsigned,
  d1 decimal(1,1),
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, d65, d10, du, d1)
  select s,
    s * 1234567890.123456789012345678901234567890 * if(s % 2, -1, 1),
    (s % 10000) - 5000.01,
    18446744073709551615 - s,
    if(s % 3, -0.9, 0.9)
  from (select cast(seq as signed) as s from seq_1_to_20000) q;
insert into gh_ost_test (id, d65, d10, du, d1) values
  (20001, 99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99, 99999999999999999999, 0.9),
  (20002, -99999999999999999999999999999999999.999999999999999999999999999999, -99999999.99, 0, -0.9),
  (20003, 0.000000000000000000000000000001, 0.01, 1, 0.1),
  (20004, null, 0, null, null);

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
    insert into gh_ost_test (d65, d10, du, d1, tag) values
      (99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99, 99999999999999999999, 0.9, 1),
      (-99999999999999999999999999999999999.999999999999999999999999999999, -99999999.99, 0, -0.9, 2),
      (-0.000000000000000000000000000001, -0.01, null, null, 3),
      (12345.678900000000000000000000000000, 100.10, 10000000000000000000, 0.0, 4);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d65 = -d65, d10 = -d10, tag = 5 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d65 = 0.000000000000000000000000000001 * (n + 1), du = 18446744073709551616 + n, tag = 6
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d65 = null, d1 = null, tag = 7 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
