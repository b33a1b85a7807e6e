-- Adding NOT NULL columns with defaults (INT, VARCHAR, DATETIME, ENUM and an
-- expression default), and turning a nullable column that holds no NULLs
-- into NOT NULL DEFAULT. Rows the replay writes never name the new columns,
-- so they must get the defaults exactly as copied rows do; a migrator that
-- writes NULL or '' into them fails here.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  name varchar(20),
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, name) select seq, concat('n', seq) from seq_1_to_20000;

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
    insert into gh_ost_test (name) values (concat('event', n));
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set name = concat(name, '!') where id = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
