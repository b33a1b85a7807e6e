-- BIT of width 1, 7, 8, 33 and 64 with all bits set, only the high bit set,
-- and zero. BIT(64) with the high bit set does not fit a signed integer; a
-- migrator that handles it as one, or that pads narrow BITs wrongly, writes
-- a different bit string.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  b1 bit(1),
  b7 bit(7),
  b8 bit(8),
  b33 bit(33),
  b64 bit(64),
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, b1, b7, b8, b33, b64)
  select seq, seq % 2, seq % 128, seq % 256, (seq * 429497) % 8589934592, 18446744073709551615 - seq * 1000003
  from seq_1_to_20000;
insert into gh_ost_test (id, b1, b7, b8, b33, b64) values
  (20001, b'1', b'1111111', b'11111111', 8589934591, 18446744073709551615),
  (20002, b'0', b'1000000', b'10000000', 4294967296, 9223372036854775808),
  (20003, b'0', b'0', b'0', 0, 0),
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
  while n < 10 do
    insert into gh_ost_test (b1, b7, b8, b33, b64, tag) values
      (b'1', b'1111111', b'11111111', 8589934591, 18446744073709551615, 1),
      (b'0', b'1000000', b'10000000', 4294967296, 9223372036854775808, 2),
      (0, 0, 0, 0, 0, 3),
      (null, null, null, null, null, 4);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set b64 = 18446744073709551615, b33 = 8589934591, b8 = 255, tag = 5
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set b64 = ~b64, b33 = b33 ^ 8589934591, b7 = b7 ^ 127, b1 = b1 ^ 1, tag = 6
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set b64 = null, b1 = null, tag = 7 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
