-- 100,000 rows (seeded from MariaDB's sequence engine), copied in 10,000
-- chunks of 10 while the event changes rows all over the key range: ahead of
-- the copy, behind it, and above the initial maximum. Large enough that the
-- copy and the replay overlap for many seconds, so most interleavings of a
-- chunk and a change to its rows happen somewhere.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a int not null,
  b varchar(32) not null,
  c datetime not null,
  tag tinyint not null default 0,
  primary key (id),
  key a_idx (a)
) auto_increment=1;

insert into gh_ost_test (id, a, b, c)
  select seq, seq % 1000, md5(seq), '2020-01-01' + interval seq minute
  from seq_1_to_100000;

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
    set r = 1 + floor(rand() * 100000);
    update gh_ost_test set a = a + 1, b = md5(rand()), tag = 1 where id = r;
    set r = 1 + floor(rand() * 100000);
    delete from gh_ost_test where id = r;
    set r = 1 + floor(rand() * 100000);
    update ignore gh_ost_test set id = id + 1000000, tag = 2 where id = r;
    insert into gh_ost_test (a, b, c, tag) values (n, md5(n), now(), 3);
    -- a whole run of neighbours, as a bulk job would
    set r = 1 + floor(rand() * 99900);
    update gh_ost_test set c = c + interval 1 day, tag = 4 where id between r and r + 100;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
