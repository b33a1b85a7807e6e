-- Text and bytes trading places: latin1 and utf8mb4 TEXT become BLOB (the
-- column keeps the stored bytes, not a UTF-8 rendering of them), a BLOB of
-- valid UTF-8 becomes utf8mb4 TEXT, a VARCHAR with the binary charset
-- (a VARBINARY in disguise) becomes VARBINARY. A migrator that decodes the
-- latin1 bytes to UTF-8 on the way into the BLOB, or that treats bytes as
-- text, writes different bytes in the replay than the copy does.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  lt text charset latin1,
  ut text charset utf8mb4,
  bu blob,
  vcb varchar(20) charset binary,
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, lt, ut, bu, vcb)
  select seq, concat('Grüße €', seq), concat('Grüße 😀 ', seq), convert(concat('blob→text ✓ ', seq) using binary),
    concat(x'00ff', seq, x'00')
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
    insert into gh_ost_test (lt, ut, bu, vcb, tag) values
      ('àéîõü ÿ €', '日本語 🍣', convert('UTF-8 bytes: ñ 漢 🎉' using binary), x'ff00ff00', 1),
      ('', '', '', '', 2),
      (null, null, null, null, 3);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set lt = 'Õ?', ut = concat(ut, ' ✔'), bu = convert('é' using binary), vcb = x'00', tag = 4
      where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
