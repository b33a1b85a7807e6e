-- An ALTER written in MariaDB's own syntax, which MySQL parsers do not know:
-- an INVISIBLE column, a PERSISTENT generated column, a POINT column with a
-- SPATIAL index, an INET4 column, and a MariaDB-only collation
-- (utf8mb4_unicode_nopad_ci). The migration must accept the ALTER, run it
-- on the ghost, fill the new columns with their defaults or computed values
-- and keep the re-collated text byte for byte.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a int not null,
  b int not null,
  note varchar(20) charset utf8mb4,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, a, b, note) select seq, seq, -2 * cast(seq as signed), concat('note ', seq, ' ') from seq_1_to_20000;

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
    insert into gh_ost_test (a, b, note) values (n, n, 'trailing  ');
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set a = a + 1, note = 'Ünïcode' where id = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
