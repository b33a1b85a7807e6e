-- ALTER spells the primary key's column in another case. MySQL and MariaDB
-- match column names case-insensitively, so the column, its key and its data
-- are the same; only the name's spelling changes. gh-ost refuses this ALTER
-- (its column mapping is case-sensitive); doppel migrates it, and this case
-- proves the data, including key changes replayed from the binlog.
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int auto_increment,
  c1 int not null default 0,
  c2 int not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (c1, c2) select seq, seq * 2 from seq_1_to_200;

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
  insert into gh_ost_test values (null, 17, 23);
  set @last := last_insert_id();
  update gh_ost_test set c1 = c1 + @last, c2 = c2 + @last where id = @last;
  update gh_ost_test set id = id + 100000 where id = @last - 1;
  delete from gh_ost_test where id = (select min(id) from (select id from gh_ost_test) x);
end ;;
delimiter ;
