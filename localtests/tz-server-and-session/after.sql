set global time_zone = 'SYSTEM';
