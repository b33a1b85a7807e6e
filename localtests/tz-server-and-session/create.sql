-- Time zones: writers whose session time zone differs from the server's,
-- on a server whose own time zone is not UTC (before.sql sets it to +05:45
-- on both servers; after.sql restores SYSTEM). TIMESTAMP holds an instant,
-- so copy and replay must move the instant, whatever zone doppel's or the
-- writer's session is in. The ALTER turns one TIMESTAMP into a DATETIME:
-- doppel, like gh-ost, writes such values in UTC (its sessions run at
-- +00:00), which orig_columns expresses with convert_tz.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  ts timestamp(6) null,
  ts2dt timestamp(3) null,
  dt datetime(6),
  tzname varchar(10),
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

-- seed from a session far from both the server's zone and UTC
set time_zone = '-08:00';
insert into gh_ost_test (id, ts, ts2dt, dt, tzname)
  select seq,
    from_unixtime(1000000000 + seq * 3607 + seq * 0.000001),
    from_unixtime(1000000000 + seq * 3607 + (seq % 1000) * 0.001),
    from_unixtime(1000000000 + seq * 3607),
    @@session.time_zone
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
    set time_zone = elt(1 + n % 5, '+00:00', '-11:00', '+13:00', '+05:45', 'SYSTEM');
    insert into gh_ost_test (ts, ts2dt, dt, tzname, tag) values
      (now(6), now(3), now(6), @@session.time_zone, 1),
      ('2021-03-04 05:06:07.080910', '2021-03-04 05:06:07.080', '2021-03-04 05:06:07.080910', @@session.time_zone, 2);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ts = now(6), ts2dt = '2030-01-01 00:00:00.001', tzname = @@session.time_zone, tag = 3
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set ts = ts + interval 1 hour, ts2dt = ts2dt - interval 1 day, tag = 4
      where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
