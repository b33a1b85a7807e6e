-- Inserts above the largest key at the start of the copy: AUTO_INCREMENT
-- rows right after it, explicit keys far above it (after which
-- AUTO_INCREMENT continues from there), and updates and deletes of those
-- new rows. The copy stops at the maximum it read when it started, so these
-- rows exist in the ghost only through the replay. The ALTER also widens a
-- column, so they are converted.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  v smallint not null,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, v) select seq, seq % 30000 from seq_1_to_20000;

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
  declare last int;
  while n < 10 do
    insert into gh_ost_test (v, tag) values (-32768, 1), (32767, 1);
    set last = last_insert_id();
    update gh_ost_test set v = v + 1, tag = 2 where id = last;
    insert ignore into gh_ost_test (id, v, tag) values (1000000 + floor(rand() * 1000000), n, 3);
    insert ignore into gh_ost_test (id, v, tag) values (1500000000 + n, n, 4);
    update gh_ost_test set v = -v, tag = 5 where id = 1500000000 + n;
    delete from gh_ost_test where id > 1000000 and id < 1500000000 order by id limit 1;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
