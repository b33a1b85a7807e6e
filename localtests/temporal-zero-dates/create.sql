-- Zero dates and dates with zero parts ('0000-00-00', '2020-00-15',
-- '2020-05-00'), which a permissive sql_mode lets applications store. The
-- copy and the replay must keep them as they are: a session with
-- NO_ZERO_DATE / NO_ZERO_IN_DATE in strict mode refuses them, and a
-- non-strict one silently turns some into other values. The ALTER adds a
-- column whose default is itself a zero date.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  d date not null default '0000-00-00',
  dt datetime(6) not null default '0000-00-00 00:00:00.000000',
  ts timestamp(3) not null default '0000-00-00 00:00:00.000',
  y year not null default 0,
  dn date,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, d, dt, ts, y, dn)
  select seq,
    case seq % 4 when 0 then '0000-00-00' when 1 then '2020-00-15' when 2 then '2020-05-00' else '2020-05-15' end,
    case seq % 3 when 0 then '0000-00-00 00:00:00.000000' when 1 then '2019-00-00 10:20:30.123456' else '2019-07-00 00:00:00.000001' end,
    if(seq % 2, '0000-00-00 00:00:00.000', '2001-02-03 04:05:06.789'),
    if(seq % 5, 0, 2000),
    if(seq % 7, '0000-00-00', null)
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
    insert into gh_ost_test (d, dt, ts, y, dn, tag) values
      ('0000-00-00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00.000', 0, '0000-00-00', 1),
      ('1999-00-00', '1999-12-00 23:59:59.999999', now(3), 1999, '1999-00-31', 2),
      (default, default, default, default, null, 3);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d = '0000-00-00', dt = '0000-00-00 00:00:00.000000', ts = '0000-00-00 00:00:00.000', y = 0, tag = 4
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d = '2021-00-00', dt = '2021-01-00 00:00:00.5', dn = '2021-00-01', tag = 5
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set d = '2022-02-22', dn = '0000-00-00', tag = 6 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
