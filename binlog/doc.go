// Package binlog streams row events for the watched tables from a server's
// binary log, as a replica would (go-mysql's BinlogSyncer), and hands them on
// one committed transaction at a time, in commit order.
//
// It never interprets values beyond what go-mysql decodes: the applier owns
// the meaning of a value (signedness, enum labels, charsets) because only it
// knows the table definition the row belongs to.
package binlog
