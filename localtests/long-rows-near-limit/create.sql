-- Rows at the size limits: the VARCHAR/VARBINARY columns' maximum lengths add
-- up to within a few bytes of MariaDB's 65535-byte row limit, and are filled
-- to the brim; a LONGBLOB and a LONGTEXT hold several megabytes. Their row
-- images are the largest the binlog carries: one transaction of the event
-- writes six 3 MB rows, more than max_allowed_packet (16 MB) together, so
-- a migrator that replays them in one packet is refused, and one that
-- truncates long values loses their tails (compared by length and
-- checksum).
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a varchar(32760) charset latin1 not null default '',
  b varbinary(32700),
  lb longblob,
  lt longtext charset utf8mb4,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, a, b, lb, lt)
  select seq, repeat(char(65 + seq % 26), 32760), repeat(unhex(lpad(hex(seq % 256), 2, '0')), 32700),
    if(seq % 40 = 0, repeat(x'00ff', 1000000), null),
    if(seq % 55 = 0, repeat('é😀', 300000), null)
  from seq_1_to_600;

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
  -- a few large writes a second: the replica must keep up with them while
  -- the next case starts
  while n < 3 do
    insert into gh_ost_test (a, b, lb, lt, tag) values
      (repeat('y', 32760), repeat(x'ff', 32700), null, null, 1);
    -- in the first three runs: six 3 MB rows in one transaction
    if n = 0 and (select count(*) from gh_ost_test where tag = 2) < 18 then
      start transaction;
      insert into gh_ost_test (a, b, lb, lt, tag) values
        (repeat('z', 32760), repeat(x'00', 32700), repeat(x'ab', 3000000), repeat('𝄞', 500000), 2),
        (repeat('z', 32760), repeat(x'01', 32700), repeat(x'ac', 3000000), null, 2),
        (repeat('z', 32760), repeat(x'02', 32700), repeat(x'ad', 3000000), null, 2);
      insert into gh_ost_test (a, b, lb, lt, tag) values
        (repeat('z', 32760), repeat(x'03', 32700), repeat(x'ae', 3000000), null, 2),
        (repeat('z', 32760), repeat(x'04', 32700), repeat(x'af', 3000000), null, 2),
        (repeat('z', 32760), repeat(x'05', 32700), repeat(x'b0', 3000000), null, 2);
      commit;
    end if;
    set r = 1 + floor(rand() * 600);
    if n = 1 then
      update gh_ost_test set a = repeat('u', 32760), b = repeat(x'01', 32700), lb = repeat(x'cd', 2000000), tag = 3
        where id = r;
    else
      update gh_ost_test set a = '', b = x'', lt = repeat('ü', 300), tag = 4 where id = r;
    end if;
    set r = 1 + floor(rand() * 600);
    delete from gh_ost_test where id = r;
    do sleep(0.3);
    set n = n + 1;
  end while;
end ;;
