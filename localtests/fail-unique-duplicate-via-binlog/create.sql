-- The ALTER adds a UNIQUE key over values that are unique when the copy
-- starts; the duplicate arrives later, through the binlog: during the
-- migration the event inserts new rows carrying an existing row's code,
-- and never takes them back. The ghost cannot hold both rows. A migrator
-- that lets the later row replace the earlier one (REPLACE, or a delete of
-- the conflicting row) swaps in a table with a row missing; doppel must
-- fail and name the key.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  code varchar(20) not null,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, code) select seq, concat('code', seq) from seq_1_to_40000;

drop event if exists gh_ost_test;
delimiter ;;
create event gh_ost_test
  on schedule every 1 second
  -- later than the copier reads the table's bounds, so the duplicate is a
  -- new row above them, which only the binlog brings to the ghost (doppel's
  -- start can take seconds on a loaded machine; the copy of 10-row chunks
  -- lasts longer than that)
  starts current_timestamp + interval 5 second
  ends current_timestamp + interval 60 second
  on completion not preserve
  enable
  do
begin
  -- a new row taking an existing row's code: a lasting duplicate
  insert into gh_ost_test (code) values ('code7');
end ;;
