-- Narrowing utf8mb4 columns to latin1 when every value fits latin1 (accented
-- letters, €, ÿ): no data is lost, so the migration must succeed and the
-- copy and the replay must both convert to the same latin1 bytes. A migrator
-- that refuses every charset narrowing, or writes UTF-8 bytes into the
-- latin1 column, fails here.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  name varchar(60) charset utf8mb4 not null,
  note text charset utf8mb4,
  tag tinyint not null default 0,
  primary key (id),
  key name_idx (name)
) auto_increment=1;

insert into gh_ost_test (id, name, note)
  select seq, concat(elt(1 + seq % 5, 'José', 'Zoë', 'Ærø', 'Þórr', 'Ÿvette'), ' ', seq),
    if(seq % 4, concat('prix: ', seq, ' €, déjà vu, naïve façade'), null)
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
    insert into gh_ost_test (name, note, tag) values
      ('Ångström', '¿Qué? ¡Sí! «quoted» ±½', 1),
      ('Œdipe', '€ ‰ † ‡ • – —', 2);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set name = concat('Müller ', n), note = 'ß', tag = 3 where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set note = null, tag = 4 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
