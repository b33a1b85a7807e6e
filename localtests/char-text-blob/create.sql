-- Character and byte strings of every size class: CHAR (whose trailing
-- spaces the server strips), VARCHAR and TEXT (whose trailing spaces it
-- keeps), and BLOBs holding every byte value 0x00-0xFF, including bytes that
-- are not valid UTF-8 and an empty string next to NULL. Compared as hex, so a
-- migrator that decodes a BLOB as text, trims, or confuses '' with NULL
-- fails here.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  c char(20),
  vc varchar(300),
  tt tinytext,
  t text,
  mt mediumtext,
  lt longtext,
  tb tinyblob,
  b blob,
  mb mediumblob,
  lb longblob,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

-- all 256 byte values, in order and reversed
set @bytes = (select group_concat(char(seq using binary) order by seq separator '') from seq_0_to_255);
set @rbytes = reverse(@bytes);

insert into gh_ost_test (id, c, vc, tt, t, mt, lt, tb, b, mb, lb)
  select seq,
    concat('c', seq, '  '),
    concat(' v ', seq, repeat(' ', seq % 4)),
    repeat('x', seq % 256),
    concat('text ', seq, ' Grüße ', repeat('t', seq % 1000)),
    repeat('médium ', seq % 100),
    repeat('long ', seq % 300),
    substr(@bytes, 2 + seq % 255),
    concat(@bytes, seq, @rbytes),
    repeat(@bytes, 1 + seq % 3),
    if(seq % 2, '', repeat(@rbytes, seq % 4))
  from seq_1_to_8000;
insert into gh_ost_test (id, c, vc, tt, t, mt, lt, tb, b, mb, lb) values
  (8001, '', '', '', '', '', '', '', '', '', ''),
  (8002, null, null, null, null, null, null, null, null, null, null),
  (8003, repeat('z', 20), repeat('é', 300), repeat('a', 255), repeat('b', 65535), repeat('c', 100000), repeat('d', 300000),
    repeat(x'00', 255), repeat(x'ff', 65535), repeat(x'00ff', 50000), repeat(x'80', 300000));

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
  declare bytes longblob default (select group_concat(char(seq using binary) order by seq separator '') from seq_0_to_255);
  while n < 10 do
    insert into gh_ost_test (c, vc, tt, t, mt, lt, tb, b, mb, lb, tag) values
      ('trail  ', 'trail  ', 'trail  ', 'trail  ', 'trail  ', 'trail  ', x'00', x'0000', bytes, reverse(bytes), 1),
      ('', '', '', '', '', '', '', '', '', '', 2),
      (null, null, null, null, null, null, null, null, null, null, 3),
      (' lead', '\ttab\nnewline\\backslash', 'quote\'s', '"dq"', '%_', repeat('ü', 5000), x'ff00ff00', x'c0c1f5ff', x'e282', x'ed9fbf00', 4);
    set r = 1 + floor(rand() * 8000);
    update gh_ost_test set b = reverse(bytes), lb = concat(bytes, bytes), vc = concat(vc, '  '), tag = 5
      where id = r;
    set r = 1 + floor(rand() * 8000);
    update gh_ost_test set tb = '', b = null, t = '', mt = null, tag = 6 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
