-- utf8mb3 text with 2- and 3-byte characters (Greek, CJK, symbols, the BOM
-- character U+FEFF, U+FFFD and the last BMP character U+FFFF) converted with
-- CONVERT TO CHARACTER SET utf8mb4, which changes every text column and the
-- table's default. Also a utf8mb3 key, looked up by the replay.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  k varchar(30) not null,
  t text,
  c char(5) not null default '',
  tag tinyint not null default 0,
  primary key (k)
) charset utf8mb3 collate utf8mb3_bin;

insert into gh_ost_test (k, t, c)
  select concat(elt(1 + seq % 6, 'κλειδί', '鍵', 'キー', '⌀', char(0xefbbbf using utf8mb3), 'plain'), seq),
    concat('Καλημέρα κόσμε ', seq, ' コンニチハ ', char(0xefbfbd using utf8mb3), char(0xefbfbf using utf8mb3)),
    elt(1 + seq % 3, '2H₂O', '', '漢字漢字漢')
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
  declare i int default 0;
  declare r int;
  while i < 10 do
    set r = 1 + floor(rand() * 20000);
    insert ignore into gh_ost_test (k, t, c, tag) values
      (concat('新しい', r), 'R = 4.7 kΩ, ⌀ 200 mm', '→←↑↓', 1),
      (concat(char(0xefbfbf using utf8mb3), r), char(0xefbbbf using utf8mb3), '', 2);
    update gh_ost_test set t = concat(t, ' 更新'), c = 'ü', tag = 3 where k = concat('鍵', r - r % 6 + 1);
    update ignore gh_ost_test set k = concat('移動', r), tag = 4 where k = concat('κλειδί', r - r % 6 + 6);
    delete from gh_ost_test where k = concat('キー', r - r % 6 + 2);
    do sleep(0.08);
    set i = i + 1;
  end while;
end ;;
