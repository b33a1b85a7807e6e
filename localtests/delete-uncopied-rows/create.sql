-- Deletes of rows the copy has not reached yet, including the table's last
-- row (the copy's upper bound, read when it started), its first row, and
-- whole ranges ahead of the copy; some deleted keys are inserted again later
-- with other values. The ghost must not get back a row that was deleted
-- before the copy reached it, nor miss one that was put back.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null,
  v int not null,
  generation tinyint not null default 0,
  primary key (id)
);

insert into gh_ost_test (id, v) select seq, seq from seq_1_to_20000;

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
    -- the last and the first rows, then new last and first rows
    delete from gh_ost_test order by id desc limit 1;
    delete from gh_ost_test order by id limit 1;
    -- a range well ahead of the copy
    set r = 10000 + floor(rand() * 9900);
    delete from gh_ost_test where id between r and r + 20;
    -- some of a deleted range comes back, changed
    set r = 10000 + floor(rand() * 9900);
    insert ignore into gh_ost_test (id, v, generation) select seq, -seq, 1 from seq_1_to_20000 where seq between r and r + 5;
    -- single rows anywhere
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
