-- Converting latin1 columns (every character above 0x7f that latin1 holds,
-- and the cp1252 ones MariaDB's latin1 adds: € ‰ Œ …) to utf8mb4 and utf8mb3.
-- The copy converts on the server; the replay must hand the server latin1
-- bytes labelled as latin1 so that it converts them the same way. A migrator
-- that sends the raw bytes as UTF-8 (or converts twice) produces different
-- characters, compared here as the ghost's bytes.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  a varchar(100) charset latin1,
  b text charset latin1,
  c char(20) charset latin1 not null default '',
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1 charset latin1;

-- every latin1 byte from 0x80 up (0x81, 0x8d, 0x8f, 0x90, 0x9d are
-- undefined in cp1252 and map to control characters)
set @high = (select group_concat(char(seq using latin1) order by seq separator '') from seq_128_to_255);

insert into gh_ost_test (id, a, b, c)
  select seq, concat('äöü ', seq, ' €‰Œ…'), concat(@high, seq), substr(@high, 1 + seq % 100, 20)
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
  declare high text charset latin1 default (select group_concat(char(seq using latin1) order by seq separator '') from seq_128_to_255);
  while n < 10 do
    insert into gh_ost_test (a, b, c, tag) values
      ('Ærøskøbing €', high, 'ÿ', 1),
      (char(128, 129, 141, 143, 144, 157 using latin1), reverse(high), '', 2);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set a = 'Œ€‰ updated', b = concat(b, '†‡'), tag = 3 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set c = 'Ñ', b = null, tag = 4 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
