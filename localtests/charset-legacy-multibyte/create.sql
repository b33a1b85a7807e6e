-- Charsets other than latin1 and UTF-8 whose bytes are not valid UTF-8:
-- utf16 and ucs2 (two or four bytes per character), cp1251 (Cyrillic),
-- sjis and gbk (multi-byte Asian), greek (8-bit). Like latin1, the replay
-- must relabel the raw bytes with the column's own charset; sending them as
-- UTF-8 mangles or refuses them. The ALTER converts some to utf8mb4.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  u16 varchar(40) charset utf16,
  ucs varchar(40) charset ucs2,
  cyr varchar(40) charset cp1251,
  sj varchar(40) charset sjis,
  gb varchar(40) charset gbk,
  gr varchar(40) charset greek,
  tag tinyint not null default 0,
  primary key (id),
  key cyr_idx (cyr)
) auto_increment=1;

insert into gh_ost_test (id, u16, ucs, cyr, sj, gb, gr)
  select seq, concat('😀 utf16 Ω ', seq), concat('ucs2 Ж ', seq), concat('Привет, мир ', seq),
    concat('こんにちは ', seq), concat('你好世界 ', seq), concat('Καλημέρα ', seq)
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
    insert into gh_ost_test (u16, ucs, cyr, sj, gb, gr, tag) values
      ('𝄞 clef', 'Ω', 'ёЁ Щщ', '漢字 カタカナ', '中文 汉字', 'Ωμέγα', 1),
      ('', '', '', '', '', '', 2),
      (null, null, null, null, null, null, 3);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set u16 = '🙂', ucs = 'Ѯ', cyr = 'обновлено', sj = '更新', gb = '更新', gr = 'ενημέρωση', tag = 4
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set cyr = concat(cyr, ' №'), tag = 5 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
