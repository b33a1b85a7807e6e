-- 4-byte UTF-8 (emoji, including sequences joined by U+200D and flags made of
-- two regional indicators, and a CJK extension B ideograph) in a primary key
-- with a binary collation, in a unique key with utf8mb4_unicode_520_ci
-- (which tells emoji apart, unlike utf8mb4_general_ci) and in text. The
-- replay looks rows up by these keys. A migrator whose connection or
-- statements are utf8mb3 turns them into '?' or fails.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  k varchar(20) charset utf8mb4 collate utf8mb4_bin not null,
  u varchar(20) charset utf8mb4 collate utf8mb4_unicode_520_ci,
  t text charset utf8mb4,
  tag tinyint not null default 0,
  primary key (k),
  unique key u_idx (u)
);

insert into gh_ost_test (k, u, t)
  select concat(elt(1 + seq % 6, '😀', '🍻', '👩‍💻', '🇩🇪', '𠀀', 'a'), seq),
    if(seq % 3, concat(elt(1 + seq % 4, '🐱', '🐶', '🦄', '🎉'), seq), null),
    concat(repeat('😀', seq % 50), ' 👨‍👩‍👧‍👦 🏳️‍🌈 ', seq)
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
    insert ignore into gh_ost_test (k, u, t, tag) values
      (concat('🚀', r), concat('🌍', r), '🚀🌍🌕', 1),
      (concat('🇺🇳', r), null, '', 2);
    update gh_ost_test set t = concat(t, '✅'), tag = 3 where k = concat('😀', r - r % 6 + 6);
    update ignore gh_ost_test set k = concat('🔀', r), u = concat('🔀', r), tag = 4 where k = concat('🍻', r - r % 6 + 1);
    delete from gh_ost_test where k = concat('👩‍💻', r - r % 6 + 2);
    update ignore gh_ost_test set u = concat('🦄', r), tag = 5 where k = concat('🇩🇪', r - r % 6 + 3);
    do sleep(0.08);
    set i = i + 1;
  end while;
end ;;
