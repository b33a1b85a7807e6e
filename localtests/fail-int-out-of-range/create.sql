-- Narrowing BIGINT to INT while a value is beyond INT's range. The server
-- clamps it to 2147483647 with only a warning under INSERT IGNORE; doppel
-- must fail rather than store a different number.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  counter bigint not null,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, counter) select seq, seq * 1000 from seq_1_to_2000;
update gh_ost_test set counter = 2147483648 where id = 1200;

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
  insert into gh_ost_test (counter) values (7);
end ;;
