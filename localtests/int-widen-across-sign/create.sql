-- Widening integer columns while values sit at their limits: unsigned
-- columns become wider unsigned or signed ones, signed ones wider signed.
-- The ghost's type differs from the original's, so a value whose unsigned
-- fix-up follows the ghost column's width or signedness instead of the
-- original's (e.g. tinyint unsigned 255 replayed as -1 into a smallint)
-- shows up as a different number.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id bigint not null auto_increment,
  tu tinyint unsigned not null,
  su smallint unsigned not null,
  mu mediumint unsigned not null,
  iu int unsigned not null,
  ts tinyint not null,
  ms mediumint not null,
  bi bigint unsigned not null,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, tu, su, mu, iu, ts, ms, bi)
  select s, 255 - s % 128, 65535 - s, 16777215 - s, 4294967295 - s,
    -128 + s % 256, -8388608 + s, 18446744073709551615 - s
  from (select cast(seq as signed) as s from seq_1_to_20000) q;

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
    insert into gh_ost_test (tu, su, mu, iu, ts, ms, bi) values (255, 65535, 16777215, 4294967295, -128, -8388608, 18446744073709551615);
    insert into gh_ost_test (tu, su, mu, iu, ts, ms, bi) values (128, 32768, 8388608, 2147483648, 127, 8388607, 9223372036854775808);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set tu = 255, su = 65535, mu = 16777215, iu = 4294967295, ts = -128, ms = -8388608,
      bi = 18446744073709551615 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set tu = 129, su = 40000, mu = 9999999, iu = 3333333333, ts = -1, ms = -1,
      bi = 12345678901234567890 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
