-- Renames combined with reordering and type changes in one ALTER: a column
-- is renamed and widened and moved to the front, another renamed and turned
-- from VARCHAR into TEXT, a DATETIME gains fractional digits and moves
-- last, a DECIMAL widens, and two columns swap places. The copy and the
-- replay must pair each original column with its new name and position
-- (the row image is in the original's order); a migrator that pairs by
-- position or by name alone writes values into the wrong columns.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a int not null,
  b varchar(20) not null,
  c datetime not null,
  d decimal(6,2),
  e smallint not null,
  f char(3) not null,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, a, b, c, d, e, f)
  select seq, -seq, concat('b', seq), '2020-01-01 00:00:00' + interval seq hour, seq / 100, seq % 30000, lpad(seq % 1000, 3, '0')
  from seq_1_to_20000;

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
    insert into gh_ost_test (a, b, c, d, e, f) values (2147483647, 'new', now(), 9999.99, -32768, 'xyz');
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set a = -2147483648, b = concat('upd', n), c = '2038-01-19 03:14:07', d = -9999.99, e = 32767, f = 'UPD'
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d = null, e = e - 1 where id = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
