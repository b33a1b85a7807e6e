-- A BIGINT UNSIGNED primary key whose values straddle 2^63 and reach
-- 2^64-1. Chunk bounds above 2^63 must be bound as unsigned (as signed they
-- wrap to negative numbers and the range is empty or inverted), and the
-- replay must look keys up by their unsigned value.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id bigint unsigned not null,
  v int not null,
  tag tinyint not null default 0,
  primary key (id)
);

insert into gh_ost_test (id, v)
  select case when seq <= 10000 then 9223372036854775808 - seq * 1000
              when seq <= 19990 then 9223372036854775807 + (seq - 10000) * 1000
              else 18446744073709551615 - (20000 - seq) end,
    seq
  from seq_1_to_20000;
insert into gh_ost_test (id, v) values (0, 0), (1, 1);

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
  declare k bigint unsigned;
  while n < 10 do
    set k = 9223372036854775807 + cast(floor(rand() * 9990) as unsigned) * 1000;
    update gh_ost_test set v = v + 1, tag = 1 where id = k;
    update ignore gh_ost_test set id = id - 9223372036854775808, tag = 2 where id = k + 1000;
    delete from gh_ost_test where id = k + 2000;
    insert ignore into gh_ost_test (id, v, tag) values (k + 1, n, 3), (18446744073709551615 - cast(floor(rand() * 1000000) as unsigned), n, 4);
    update gh_ost_test set v = -v, tag = 5 where id in (9223372036854775807, 9223372036854775808, 18446744073709551615);
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
