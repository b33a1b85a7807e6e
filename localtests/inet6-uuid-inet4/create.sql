-- MariaDB's INET6, UUID and INET4 types. Their row image is the binary form
-- with trailing zero bytes dropped (like BINARY); sent back as a string the
-- server would parse it as the text form. Values chosen to end in zero bytes
-- ('::', 'fe80::', '10.0.0.0', a UUID ending in zeros), plus the all-ones
-- values and NULL. The INET6 column is the primary key, so key lookups of
-- zero-ended addresses matter too. (alter-varchar-to-inet6 converts text to
-- INET6.)
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  ip inet6 not null,
  u uuid,
  ip4 inet4,
  iptext varchar(45) not null,
  n int not null default 0,
  tag tinyint not null default 0,
  primary key (ip)
);

insert into gh_ost_test (ip, u, ip4, iptext, n)
  select
    case seq % 3
      when 0 then concat('fe80:', hex(seq), '::')
      when 1 then concat('::ffff:10.', seq div 256 % 256, '.', seq % 256, '.0')
      else concat('2001:db8:', hex(seq), '::', hex(seq))
    end,
    if(seq % 5, concat(lpad(hex(seq), 8, '0'), '-0000-1000-8000-000000000000'), null),
    concat(seq % 256, '.', seq div 256, '.0.0'),
    concat('2001:db8::', hex(seq)),
    seq
  from seq_1_to_20000;
insert into gh_ost_test (ip, u, ip4, iptext, n) values
  ('::', '00000000-0000-0000-0000-000000000000', '0.0.0.0', '::', -1),
  ('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255', 'ffff::', -2),
  ('::1', '12345678-1234-1234-1234-000000000000', '10.0.0.0', '::ffff:1.2.3.4', -3);

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
  declare r int;
  while i < 10 do
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set n = n + 1, u = '00000000-0000-0000-0000-000000000000', ip4 = '10.0.0.0', tag = 1
      where ip = concat('fe80:', hex(r - r % 3), '::');
    update ignore gh_ost_test set ip = concat('fe80:0:', hex(r), '::'), tag = 2
      where ip = concat('::ffff:10.', (r - r % 3 + 1) div 256 % 256, '.', (r - r % 3 + 1) % 256, '.0');
    delete from gh_ost_test where ip = concat('2001:db8:', hex(r - r % 3 + 2), '::', hex(r - r % 3 + 2));
    insert ignore into gh_ost_test (ip, u, ip4, iptext, n, tag) values
      (concat('2001:db8:', hex(r - r % 3 + 2), '::', hex(r - r % 3 + 2)), uuid(), '0.0.0.0', '::', r, 3),
      (concat('fe80:1:', hex(r), '::'), concat('ffffffff-ffff-ffff-ffff-', lpad(hex(r), 8, '0'), '0000'), null, 'fe80::', r, 4);
    update gh_ost_test set u = null, ip4 = null, iptext = '::1', tag = 5 where ip = '::';
    do sleep(0.08);
    set i = i + 1;
  end while;
end ;;
