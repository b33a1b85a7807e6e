-- An ALTER that uses MariaDB's own types: addresses and UUIDs kept as text
-- become INET6 and UUID columns. The copy converts with the server's casts;
-- the replay sends the original's text, which the server must convert the
-- same way. Also proves the ALTER itself is accepted: MySQL parsers do not
-- know these type names.
-- The event of an earlier case may still be inside its one-second body:
-- drop it and let that body finish before the table is replaced.
drop event if exists gh_ost_test;
do sleep(1.2);
drop table if exists gh_ost_test;
create table gh_ost_test (
  id int not null auto_increment,
  addr varchar(45) not null,
  uid char(36),
  tag tinyint not null default 0,
  primary key (id)
) auto_increment=1;

insert into gh_ost_test (id, addr, uid)
  select seq,
    case seq % 3
      when 0 then concat('fe80::', hex(seq))
      when 1 then concat('::ffff:10.0.', seq div 256 % 256, '.', seq % 256)
      else concat('2001:db8:', hex(seq), '::')
    end,
    if(seq % 4, concat(lpad(hex(seq), 8, '0'), '-abcd-1000-8000-000000000000'), null)
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
    insert into gh_ost_test (addr, uid, tag) values
      ('::', '00000000-0000-0000-0000-000000000000', 1),
      ('FE80:0000:0000:0000:0000:0000:0000:0001', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 2),
      ('::ffff:192.168.0.0', uuid(), 3);
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set addr = '2001:db8::', uid = '12345678-1234-1234-1234-000000000000', tag = 4
      where id = r;
    set r = 1 + floor(rand() * 20000);
    update gh_ost_test set uid = null, tag = 5 where id = r;
    do sleep(0.08);
    set n = n + 1;
  end while;
end ;;
