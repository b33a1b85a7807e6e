-- Making a column NOT NULL while rows hold NULL in it. INSERT IGNORE would
-- store the type's implicit default ('' or 0) in their place with a warning,
-- changing data silently; doppel must fail instead.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  nickname varchar(40),
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, nickname) select seq, concat('nick', seq) from seq_1_to_2000;
update gh_ost_test set nickname = null where id = 1700;

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
  insert into gh_ost_test (nickname) values ('event');
end ;;
