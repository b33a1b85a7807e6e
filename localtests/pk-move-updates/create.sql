-- Updates that change the primary key: a row jumps from the part of the table
-- not copied yet to the part already copied, from the copied part past the
-- initial maximum, below the minimum, and two rows trade keys through a
-- temporary one. The replay must delete the old key and write the new one;
-- a migrator that updates in place by the new key, or loses the delete of
-- the old key, leaves a stale row behind or drops the moved one.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null,
  v varchar(20) not null,
  moves int not null default 0,
  primary key (id)
);

insert into gh_ost_test (id, v) select seq * 10, concat('row', seq) from seq_1_to_20000;

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
  declare a, b int;
  while n < 10 do
    -- late to early: a row the copy has not reached moves to where it has
    set a = (10000 + floor(rand() * 10000)) * 10, b = floor(rand() * 10000) * 10 + 1;
    update ignore gh_ost_test set id = b, moves = moves + 1 where id = a;
    -- early to late and past the maximum
    set a = floor(rand() * 10000) * 10, b = 300000 + floor(rand() * 100000);
    update ignore gh_ost_test set id = b, moves = moves + 1 where id = a;
    -- below the minimum
    set a = floor(rand() * 20000) * 10;
    update ignore gh_ost_test set id = -a, moves = moves + 1 where id = a;
    -- two rows trade keys
    set a = floor(rand() * 20000) * 10, b = floor(rand() * 20000) * 10;
    if a <> b and (select count(*) from gh_ost_test where id in (a, b)) = 2 then
      update gh_ost_test set id = -1000000 where id = a;
      update gh_ost_test set id = a, moves = moves + 1 where id = b;
      update gh_ost_test set id = b, moves = moves + 1 where id = -1000000;
    end if;
    -- several keys in one statement
    set a = floor(rand() * 19000) * 10;
    update ignore gh_ost_test set id = id + 5, moves = moves + 1 where id between a and a + 100 order by id desc;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
