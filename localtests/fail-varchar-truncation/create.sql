-- A narrowing ALTER that would cut data: VARCHAR(100) to VARCHAR(8) while
-- some values are longer. The server truncates silently in a non-strict
-- session, and INSERT IGNORE (how copies are made) turns the error into a
-- warning even in a strict one. doppel must refuse to finish: the
-- migration fails and names the problem; the original table is untouched.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  name varchar(100) not null,
  primary key (id)
) auto_increment=1;

-- short names, and one long one in the middle of the copy
insert into gh_ost_test (id, name) select seq, concat('n', seq) from seq_1_to_2000;
update gh_ost_test set name = 'a name far longer than eight characters' where id = 1000;

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
  insert into gh_ost_test (name) values ('short');
  update gh_ost_test set name = concat('n', id) where id = 1 + floor(rand() * 10);
end ;;
