-- Signed integers of every width at both limits, zero and NULL, copied and
-- replayed. A migrator that reads a signed value as unsigned (or masks it to
-- the column width the wrong way) turns -128 into 128 and fails here.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  ti tinyint,
  si smallint,
  mi mediumint,
  i int,
  bi bigint,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, ti, si, mi, i, bi)
  select s,
    if(s % 2, -128, 127) + (s % 100) * if(s % 2, 1, -1),
    if(s % 2, -32768, 32767),
    if(s % 3, -8388608, 8388607),
    -2147483648 + s,
    if(s % 2, -9223372036854775808, 9223372036854775807 - s)
  -- seq is unsigned: sign it before mixing it with negative numbers
  from (select cast(seq as signed) as s from seq_1_to_20000) q;
insert into gh_ost_test (id, ti, si, mi, i, bi) values
  (20001, -1, -1, -1, -1, -1),
  (20002, 0, 0, 0, 0, 0),
  (20003, null, null, null, null, null);

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
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (-128, -32768, -8388608, -2147483648, -9223372036854775808, 1);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (127, 32767, 8388607, 2147483647, 9223372036854775807, 2);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (-1, -1, -1, -1, -1, 3);
    insert into gh_ost_test (ti, si, mi, i, bi, tag) values (null, null, null, null, null, 4);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ti = -128, si = -32768, mi = -8388608, i = -2147483648, bi = -9223372036854775808, tag = 5
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ti = 127, si = 32767, mi = 8388607, i = 2147483647, bi = 9223372036854775807, tag = 6
      where id = r;
    -- sign flips: -1 <-> 0 and back
    update gh_ost_test set ti = -1 - ti, si = -1 - si, mi = -1 - mi, i = -1 - i, bi = -1 - bi, tag = 7
      where id in (20001, 20002);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set si = null, i = null, tag = 8 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
