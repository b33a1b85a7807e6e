-- An ALTER adding a UNIQUE key over values that are not unique. Copying with
-- INSERT IGNORE would keep one row per value and drop the others without an
-- error; REPLACE would drop the older ones. doppel must refuse instead: the
-- migration fails naming the duplicate, and no row is lost.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  email varchar(100) not null,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, email) select seq, concat('user', seq, '@example.com') from seq_1_to_2000;
-- one duplicate, deep in the table
update gh_ost_test set email = 'user10@example.com' where id = 1500;

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
  insert into gh_ost_test (email) values (concat('new', rand(), '@example.com'));
end ;;
