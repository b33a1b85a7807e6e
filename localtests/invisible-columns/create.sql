-- MariaDB's INVISIBLE columns: SELECT * and INSERT without a column list
-- skip them, so a migrator that copies with SELECT * or writes rows by
-- position loses their values or shifts the others. Here an invisible
-- column sits between visible ones, another holds a default, and one is
-- part of a secondary index; the ALTER adds a visible column after them.
-- Compared by naming every column (SELECT * would not show them).
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a int not null,
  secret varchar(20) invisible,
  b int not null,
  stamp int not null default 7 invisible,
  primary key (id),
  key secret_idx (secret, b)
) auto_increment=1;

insert into gh_ost_test (id, a, secret, b, stamp) select seq, seq, concat('s', seq), -seq, seq % 100 from seq_1_to_20000;

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
    -- without a column list: the invisible columns take their defaults
    insert into gh_ost_test values (null, n, n);
    insert into gh_ost_test (a, secret, b, stamp) values (n, concat('event', n), n, -n);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set secret = concat(secret, '*'), stamp = stamp + 1000 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set secret = null where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
