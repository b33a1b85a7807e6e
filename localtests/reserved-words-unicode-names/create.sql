-- Column and index names that break SQL built by string concatenation:
-- reserved words (select, from, order, key, index, group, where), a
-- backtick inside a name, a space, a dot, a leading space (a trailing one
-- is not allowed), and non-ASCII names (prénom, 名前, Ωmega). The primary key is
-- the column named `order`; the ALTER renames `select` and adds an index
-- with an odd name. Every statement doppel builds must quote each name.
-- The harness always migrates table test.gh_ost_test, so odd table names
-- cannot be a case: the names here are columns and indexes, which every
-- statement of the copy and the replay spells out.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  `order` int not null,
  `select` varchar(20),
  `from` int,
  `key` char(3),
  `index` date,
  `group` decimal(5,1),
  `we``ird` int,
  `with space` varchar(10),
  `a.b` int,
  ` lead` int,
  `prénom` varchar(20),
  `名前` varchar(20),
  `Ωmega` int,
  primary key (`order`),
  key `where` (`from`, `key`),
  unique key `名前_uk` (`名前`)
);

insert into gh_ost_test
  select seq, concat('sel', seq), seq % 77, lpad(seq % 1000, 3, '0'), '2020-01-01' + interval seq % 1000 day,
    seq / 10, -seq, concat('sp ', seq % 100), seq * 2, seq * 3, concat('Zoë', seq), concat('名前', seq), seq % 5
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
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set `select` = 'updated', `we``ird` = `we``ird` + 1, `with space` = 'x y', `名前` = concat('更新', r)
      where `order` = r;
    set r = 1 + floor(rand() * 20000);
    update ignore gh_ost_test set `order` = `order` + 100000, ` lead` = -1 where `order` = r;
    set r = 1 + floor(rand() * 20000);
    delete from gh_ost_test where `order` = r;
    insert ignore into gh_ost_test (`order`, `select`, `from`, `key`, `we``ird`, `a.b`, `prénom`, `名前`, `Ωmega`)
      values (200000 + r, 'new', 1, 'k', 0, 0, 'Zoë', concat('新', r), 0);
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
