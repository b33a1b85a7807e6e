-- Generated columns, VIRTUAL and STORED (MariaDB's PERSISTENT), one of them
-- indexed, one unique: the binlog row image carries their values, but the
-- ghost computes its own, so they must never be written. The ALTER drops a
-- virtual column, adds a stored one and changes a base column the
-- expressions read (widening it), so the ghost's generated values differ
-- from anything the row image holds; they are compared with the original's
-- expressions evaluated on the original rows.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  price decimal(8,2) not null,
  qty smallint not null,
  total decimal(12,2) as (price * qty) stored,
  sku int not null,
  label varchar(40) as (concat('item-', sku, '-', qty)) virtual,
  doubled int as (qty * 2) virtual,
  code varchar(12) as (concat('C', sku)) persistent,
  primary key (id),
  key label_idx (label),
  unique key code_uk (code)
) auto_increment=1;

insert into gh_ost_test (id, price, qty, sku) select seq, seq / 7, seq % 1000, seq from seq_1_to_20000;

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
    insert ignore into gh_ost_test (price, qty, sku) values (99999.99, 32767, 100000 + n), (0, -32768, -n);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set qty = qty + 1 where id = r;
    set r = 1 + floor(rand() * 20000);
    update ignore gh_ost_test set id = id + 1000000, sku = sku + 1000000 where id = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
