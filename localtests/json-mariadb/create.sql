-- JSON on MariaDB is LONGTEXT with a json_valid() check: the document's text
-- is the value, byte for byte (key order, spacing, escapes, 4-byte
-- characters, numbers beyond double precision). A migrator that parses and
-- re-serialises the document (as MySQL's binary JSON needs) changes that
-- text. The ALTER adds a stored column extracted from the document and an
-- index on it, so the ghost computes it from every replayed row.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  j json,
  jn json not null default '{}',
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, j, jn)
  select seq,
    case seq % 5
      when 0 then concat('{"k": "key', seq, '", "n": ', seq, ', "nested": {"a": [1, 2, {"b": null}]}}')
      when 1 then concat('{"z":1,"a":2,"k":"', seq, '"}')
      when 2 then concat('[', seq, ', 1.0000000000000000000001, -0, 1e400, "\\u00e9\\ud83d\\ude00"]')
      when 3 then '"plain string with \\"quotes\\" and \\\\ backslash"'
      else null
    end,
    concat('{  "spaced" :  ', seq, '  ,"k":"é😀"}')
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
    insert into gh_ost_test (j, jn, tag) values
      ('{"k": "new", "emoji": "🍻😀", "big": 123456789012345678901234567890}', '[]', 1),
      (concat('{"k":"long","text":"', repeat('lorem ipsum ', 2000), '"}'), 'null', 2),
      (null, '{"k" : "spaces"  }', 3),
      ('true', '"\\t\\n\\u0000"', 4);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set j = json_set(j, '$.k', concat('upd', n), '$.added', json_array(1, 'two', null)), tag = 5
      where id = r and json_type(j) = 'OBJECT';
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set j = json_remove(j, '$.nested'), jn = json_insert(jn, '$.x', 'é'), tag = 6
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set j = null, tag = 7 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
