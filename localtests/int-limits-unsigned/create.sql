-- Unsigned integers of every width at their limits. go-mysql hands the applier
-- an unsigned value's bit pattern as a signed integer of the column's width
-- (255 arrives as -1); the applier must turn it back into the unsigned value,
-- or the replayed rows hold wrong numbers (or are refused) in the ghost.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int unsigned not null auto_increment,
  ti tinyint unsigned,
  si smallint unsigned,
  mi mediumint unsigned,
  i int unsigned,
  bi bigint unsigned,
  tag tinyint unsigned not null default 0,
  primary key (id)
) auto_increment=1;

-- Seed rows straddle each type's signed/unsigned boundary, so the copy
-- carries values above the signed maximum too. 20000 rows keep the copy
-- busy (chunks of 10) while the event below writes.
insert into gh_ost_test (id, ti, si, mi, i, bi)
  select seq, 255 - seq % 256, 65535 - seq, 16777215 - seq, 4294967295 - seq, 18446744073709551615 - seq
  from seq_1_to_20000;
insert into gh_ost_test (id, ti, si, mi, i, bi) values
  (20001, 0, 0, 0, 0, 0),
  (20002, 128, 32768, 8388608, 2147483648, 9223372036854775808),
  (20003, 127, 32767, 8388607, 2147483647, 9223372036854775807),
  (20004, null, null, null, null, null);

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
  -- ten rounds a second, so changes keep arriving between chunks
  while n < 10 do
    -- every limit, through the binlog
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (255, 65535, 16777215, 4294967295, 18446744073709551615, 1);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (128, 32768, 8388608, 2147483648, 9223372036854775808, 2);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (0, 0, 0, 0, 0, 3);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (null, null, null, null, null, 4);
    -- seeded rows, most not copied yet, pushed to the limits or just below
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ti = 255, si = 65535, mi = 16777215, i = 4294967295, bi = 18446744073709551615, tag = 5
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ti = 200, si = 40000, mi = 9000000, i = 3000000000, bi = 10000000000000000000, tag = 6
      where id = r;
    -- flip across the signed maximum and back: 127 <-> 128, ...
    update gh_ost_test set ti = 255 - ti, si = 65535 - si, mi = 16777215 - mi, i = 4294967295 - i,
      bi = 18446744073709551615 - bi, tag = 7
      where id in (20002, 20003);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ti = null, bi = null, tag = 8 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
