-- A four-column primary key of mixed types: CHAR(2) latin1, DATE, BIGINT
-- UNSIGNED (values above 2^63) and VARBINARY. Each part has to be bound and
-- compared as its own type for chunk ranges and for the replay's lookups:
-- latin1 text relabelled, the unsigned value not wrapped to a negative one,
-- the bytes as bytes. The event updates every part of the key in turn.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  region char(2) charset latin1 not null,
  day date not null,
  n bigint unsigned not null,
  code varbinary(8) not null,
  amount decimal(12,2),
  tag tinyint not null default 0,
  primary key (region, day, n, code)
);

insert into gh_ost_test (region, day, n, code, amount)
  select elt(1 + seq % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ'),
    '2024-01-01' + interval (seq div 5) % 40 day,
    9223372036854775800 + (seq div 200) * 3,
    unhex(lpad(hex(seq % 4), 2, '0')),
    seq / 100
  from seq_0_to_19999;

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
  declare b int;
  -- the key of seed row q, as the seed built it
  declare q int;
  while i < 10 do
    set b = floor(rand() * 1000) * 20;
    set q = b;      -- ÅB, code 00
    update gh_ost_test set amount = -amount, tag = 1
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    set q = b + 1;  -- DE, code 01
    update ignore gh_ost_test set region = 'ØX', tag = 2
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    set q = b + 2;  -- ÉS, code 02
    update ignore gh_ost_test set day = day + interval 1 year, tag = 3
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    set q = b + 3;  -- FR, code 03
    update ignore gh_ost_test set n = 18446744073709551615 - n, tag = 4
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    set q = b + 4;  -- ÜZ, code 00
    update ignore gh_ost_test set code = concat(code, x'00'), tag = 5
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    set q = b + 5;  -- ÅB, code 01: deleted, then put back
    delete from gh_ost_test
      where region = elt(1 + q % 5, 'ÅB', 'DE', 'ÉS', 'FR', 'ÜZ') and day = '2024-01-01' + interval (q div 5) % 40 day
        and n = 9223372036854775800 + cast(q div 200 * 3 as unsigned) and code = unhex(lpad(hex(q % 4), 2, '0'));
    insert ignore into gh_ost_test (region, day, n, code, amount, tag) values
      ('ÅB', '2024-01-01' + interval (q div 5) % 40 day, 9223372036854775800 + cast(q div 200 * 3 as unsigned), x'01', 1.5, 6),
      ('ÿÿ', '9999-12-31', 18446744073709551615 - i, x'ffffffffffffffff', null, 7);
    do sleep(0.08);
    set i = i + 1;
  end while;
end ;;
