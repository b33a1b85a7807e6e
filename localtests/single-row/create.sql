-- A table with exactly one row, which the event rewrites all the time:
-- values to their extremes and back, its key moved back and forth between
-- 1 and 2, and a second row that comes and goes within each run. The copy
-- is one chunk of one row; everything else is replay of the same key.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null,
  counter bigint not null default 0,
  note varchar(30),
  updated datetime(6),
  primary key (id)
);

insert into gh_ost_test (id, counter, note, updated) values (1, 0, 'only row', '2000-01-01 00:00:00');

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
  while n < 10 do
    update gh_ost_test set counter = counter + 1, note = if(n % 2, null, concat('run ', n)), updated = now(6);
    update gh_ost_test set id = 3 - id;
    insert into gh_ost_test (id, counter, note) values (10, -9223372036854775808, 'visitor');
    update gh_ost_test set counter = 9223372036854775807 where id = 10;
    delete from gh_ost_test where id = 10;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
