-- An AUTO_INCREMENT key with huge gaps and negative values: INT's minimum,
-- runs of negatives, a gap of a billion, id 0 (stored thanks to
-- NO_AUTO_VALUE_ON_ZERO) and INT's maximum. Chunks must walk the gaps
-- without stalling or skipping; id 0 must stay 0 when copied and replayed
-- (a session without NO_AUTO_VALUE_ON_ZERO turns it into a fresh id).
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
-- the event is created in this session and keeps its sql_mode
set session sql_mode = concat(@@session.sql_mode, ',NO_AUTO_VALUE_ON_ZERO');
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  v int not null,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, v)
  select case when s <= 5000 then -2147483648 + s * 7
              when s <= 10000 then -s * 3
              when s <= 15000 then s * 100003
              else 2147483647 - (20000 - s) * 13 end,
    s
  from (select cast(seq as signed) as s from seq_1_to_20000) q;
insert into gh_ost_test (id, v) values (-2147483648, -1), (0, 0), (-1, -1), (1, 1);

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
    -- into the gaps, among the negatives, and id 0 again
    set r = floor(rand() * 1000000);
    insert ignore into gh_ost_test (id, v, tag) values (-r, r, 1), (r * 2 + 1, r, 2), (1500000000 + r, r, 3);
    update gh_ost_test set v = v + 1, tag = 4 where id = 0;
    delete from gh_ost_test where id = 0;
    insert into gh_ost_test (id, v, tag) values (0, n, 5);
    update gh_ost_test set v = -v, tag = 6 where id in (-2147483648, 2147483647, -1, 1);
    set r = floor(rand() * 5000);
    update ignore gh_ost_test set id = -id, tag = 7 where id = r * -3;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
