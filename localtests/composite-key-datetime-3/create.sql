-- A three-column primary key (SMALLINT, DATETIME(6), INT) whose first two
-- parts repeat over long runs: chunks start and end in the middle of equal
-- (tenant, created) prefixes, at microsecond steps, and around a zero-
-- fraction second. The event moves rows along the DATETIME part and across
-- tenants. A copier whose range condition mishandles equal prefixes or
-- fractional seconds loses rows at chunk edges.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  tenant smallint not null,
  created datetime(6) not null,
  seq_no int not null,
  payload varchar(20),
  tag tinyint not null default 0,
  primary key (tenant, created, seq_no)
);

insert into gh_ost_test (tenant, created, seq_no, payload)
  select s % 7 - 3,
    '2024-02-29 23:59:59.999990' + interval (s div 70) microsecond,
    s % 10,
    concat('p', s)
  from (select cast(seq as signed) as s from seq_0_to_19999) q;

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
  declare i int default 0;
  declare t smallint;
  declare c datetime(6);
  while i < 10 do
    set t = floor(rand() * 7) - 3;
    set c = '2024-02-29 23:59:59.999990' + interval floor(rand() * 285) microsecond;
    update gh_ost_test set payload = 'updated', tag = 1 where tenant = t and created = c and seq_no = 3;
    update ignore gh_ost_test set created = created + interval 1 second, tag = 2 where tenant = t and created = c and seq_no = 4;
    update ignore gh_ost_test set tenant = tenant + 100, tag = 3 where tenant = t and created = c and seq_no = 5;
    delete from gh_ost_test where tenant = t and created = c and seq_no in (6, 7);
    insert ignore into gh_ost_test (tenant, created, seq_no, payload, tag) values
      (t, c, 6, 'back', 4),
      (t, '2024-03-01 00:00:00.000000', floor(rand() * 1000), 'new', 5),
      (-32768, '1000-01-01 00:00:00.000000', floor(rand() * 1000), 'min', 6);
    do sleep(0.08);
    set i = i + 1;
  end while;
end ;;
