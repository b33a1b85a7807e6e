-- Identifiers at MariaDB's 64-character limit: columns (one of them 64
-- Cyrillic characters, 128 bytes), an index, and, added by the ALTER, a
-- column and an index of 64 characters. Names doppel derives from them must
-- not be truncated or overflow.
-- The harness always migrates table test.gh_ost_test, so a table name at
-- the 64-character limit (where _<table>_gho would not fit) cannot be a
-- case here; it belongs in the migration package's tests, next to the
-- check in migration/ghost.go that refuses names too long for the helper
-- tables.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  `column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx` int not null,
  `второй_столбец_с_именем_в_шестьдесят_четыре_символа_яяяяяяяяяяяя` varchar(30),
  primary key (id),
  key `index_name_at_the_sixty_four_character_limit_iiiiiiiiiiiiiiiiiii` (`column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx`, `второй_столбец_с_именем_в_шестьдесят_четыре_символа_яяяяяяяяяяяя`)
) auto_increment=1;

insert into gh_ost_test (id, `column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx`, `второй_столбец_с_именем_в_шестьдесят_четыре_символа_яяяяяяяяяяяя`) select seq, seq * 7, concat('значение ', seq) from seq_1_to_20000;

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
    insert into gh_ost_test (`column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx`, `второй_столбец_с_именем_в_шестьдесят_четыре_символа_яяяяяяяяяяяя`) values (n, 'новое');
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set `column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx` = -`column_name_at_the_sixty_four_character_limit_xxxxxxxxxxxxxxxxxx`, `второй_столбец_с_именем_в_шестьдесят_четыре_символа_яяяяяяяяяяяя` = null where id = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
