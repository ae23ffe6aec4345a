// quiver-go-client drives a Flight SQL server with the arrow-go Flight SQL client, the way a Go
// application would, and prints what it saw as JSON for tests/interop/test_go_client.py.
//
//	quiver-go-client -uri grpc://127.0.0.1:PORT -user NAME -password SECRET SCENARIO [SCENARIO...]
//
// Stdout is one JSON object keyed by scenario name. A scenario that fails is reported as
// {"error": "...", "step": "..."} and makes the exit status 1; bad usage exits with 2.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

type obj = map[string]any

// stepError names the step of a scenario that failed.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }

func fail(step string, err error) error { return &stepError{step, err} }

func errorJSON(err error) obj {
	out := obj{"error": err.Error()}
	var se *stepError
	if errors.As(err, &se) {
		out["step"] = se.step
		err = se.err
	}
	if st, ok := status.FromError(err); ok {
		out["code"] = st.Code().String()
		out["message"] = st.Message()
	}
	return out
}

type session struct {
	uri, user, password string
	cl                  *flightsql.Client
	base                context.Context // without credentials
	ctx                 context.Context // carries the bearer token from the handshake
}

func connect(ctx context.Context, uri, user, password string) (*session, error) {
	addr := strings.TrimPrefix(uri, "grpc://")
	addr = strings.TrimPrefix(addr, "grpc+tcp://")
	// Default dial options on purpose: gRPC's 4 MiB receive limit stays in force.
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fail("NewClient", err)
	}
	authCtx, err := cl.Client.AuthenticateBasicToken(ctx, user, password)
	if err != nil {
		cl.Close()
		return nil, fail("AuthenticateBasicToken", err)
	}
	return &session{uri, user, password, cl, ctx, authCtx}, nil
}

// ---- Arrow to JSON ----------------------------------------------------------------------------

func fieldJSON(f arrow.Field) obj {
	md := obj{}
	for i, k := range f.Metadata.Keys() {
		md[k] = f.Metadata.Values()[i]
	}
	return obj{"name": f.Name, "type": f.Type.String(), "nullable": f.Nullable, "metadata": md}
}

func schemaJSON(s *arrow.Schema) []obj {
	out := []obj{}
	for _, f := range s.Fields() {
		out = append(out, fieldJSON(f))
	}
	return out
}

func value(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint16:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.StringView:
		return a.Value(i)
	case *array.Binary:
		return hex.EncodeToString(a.Value(i))
	case *array.LargeBinary:
		return hex.EncodeToString(a.Value(i))
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Date64:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC().Format("2006-01-02T15:04:05.999999999")
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Decimal256:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal256Type).Scale)
	case *array.List:
		start, end := a.ValueOffsets(i)
		return sliceValues(a.ListValues(), int(start), int(end))
	case *array.LargeList:
		start, end := a.ValueOffsets(i)
		return sliceValues(a.ListValues(), int(start), int(end))
	case *array.Map:
		// Maps become [[key, value], ...] in order.
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		pairs := []any{}
		for j := int(start); j < int(end); j++ {
			pairs = append(pairs, []any{value(keys, j), value(items, j)})
		}
		return pairs
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := obj{}
		for f := 0; f < a.NumField(); f++ {
			out[st.Field(f).Name] = value(a.Field(f), i)
		}
		return out
	case *array.DenseUnion:
		return value(a.Field(a.ChildID(i)), int(a.ValueOffset(i)))
	case *array.SparseUnion:
		return value(a.Field(a.ChildID(i)), i)
	default:
		return arr.ValueStr(i)
	}
}

func sliceValues(arr arrow.Array, start, end int) []any {
	out := []any{}
	for j := start; j < end; j++ {
		out = append(out, value(arr, j))
	}
	return out
}

// result is everything read back from a FlightInfo's endpoints.
type result struct {
	Schema      []obj   `json:"schema"`        // from the FlightInfo
	StreamSchem []obj   `json:"stream_schema"` // from the DoGet stream
	Rows        [][]any `json:"rows"`
	Batches     int     `json:"batches"`
	MaxBatch    int64   `json:"max_batch_bytes"`
	Endpoints   int     `json:"endpoints"`
	TotalRecs   int64   `json:"total_records"`
}

// fetch reads every endpoint of info; with keepRows false it only counts.
func (s *session) fetch(ctx context.Context, info *flight.FlightInfo, keepRows bool) (*result, int64, error) {
	res := &result{Rows: [][]any{}, Endpoints: len(info.Endpoint), TotalRecs: info.TotalRecords}
	if sc, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator); err == nil {
		res.Schema = schemaJSON(sc)
	} else if len(info.Schema) > 0 {
		return nil, 0, fmt.Errorf("FlightInfo schema: %w", err)
	}
	var nrows int64
	for _, ep := range info.Endpoint {
		rdr, err := s.cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			return nil, 0, fmt.Errorf("DoGet: %w", err)
		}
		res.StreamSchem = schemaJSON(rdr.Schema())
		for rdr.Next() {
			rec := rdr.RecordBatch()
			res.Batches++
			if size := util.TotalRecordSize(rec); size > res.MaxBatch {
				res.MaxBatch = size
			}
			nrows += rec.NumRows()
			if keepRows {
				for r := 0; r < int(rec.NumRows()); r++ {
					row := make([]any, rec.NumCols())
					for c := range row {
						row[c] = value(rec.Column(c), r)
					}
					res.Rows = append(res.Rows, row)
				}
			}
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return nil, 0, fmt.Errorf("DoGet stream: %w", err)
		}
	}
	return res, nrows, nil
}

func (s *session) query(ctx context.Context, sql string) (*result, error) {
	info, err := s.cl.Execute(ctx, sql)
	if err != nil {
		return nil, fail("Execute "+sql, err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("fetch "+sql, err)
	}
	return res, nil
}

func (s *session) update(ctx context.Context, sql string) (int64, error) {
	n, err := s.cl.ExecuteUpdate(ctx, sql)
	if err != nil {
		return 0, fail("ExecuteUpdate "+sql, err)
	}
	return n, nil
}

func (s *session) updates(ctx context.Context, sqls ...string) ([]int64, error) {
	counts := []int64{}
	for _, sql := range sqls {
		n, err := s.update(ctx, sql)
		if err != nil {
			return nil, err
		}
		counts = append(counts, n)
	}
	return counts, nil
}

func (s *session) rows(ctx context.Context, sql string) ([][]any, error) {
	res, err := s.query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return res.Rows, nil
}

func (s *session) infoRows(ctx context.Context, step string, info *flight.FlightInfo, err error) (obj, error) {
	if err != nil {
		return nil, fail(step, err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail(step, err)
	}
	return obj{"schema": res.Schema, "stream_schema": res.StreamSchem, "rows": res.Rows}, nil
}

func strp(s string) *string { return &s }

// ---- scenarios ----------------------------------------------------------------------------------

func scenarioConnect(ctx context.Context, s *session) (any, error) {
	out := obj{"authenticated": true}
	res, err := s.query(ctx, "SELECT 42 AS answer")
	if err != nil {
		return nil, err
	}
	out["query"] = res.Rows
	// A wrong password must be refused at the handshake.
	bad, err := connect(s.base, s.uri, s.user, s.password+"-wrong")
	if err == nil {
		bad.cl.Close()
		out["wrong_password"] = obj{"error": nil}
	} else {
		out["wrong_password"] = errorJSON(err)
	}
	return out, nil
}

const typesQuery = `SELECT * FROM (VALUES
  (1::INTEGER, 10000000000::BIGINT, 1.5::DOUBLE, 'héllo'::VARCHAR, DATE '2024-02-29',
   TIMESTAMP '2024-02-29 13:14:15.123456', 1234.567::DECIMAL(18,3), true),
  (2, -1, -0.25, '', DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00', -0.001, false),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(i, b, d, s, dt, ts, dec, flag) ORDER BY i NULLS LAST`

func scenarioQueryTypes(ctx context.Context, s *session) (any, error) {
	res, err := s.query(ctx, typesQuery)
	if err != nil {
		return nil, err
	}
	schema, err := s.cl.GetExecuteSchema(ctx, typesQuery)
	if err != nil {
		return nil, fail("GetExecuteSchema", err)
	}
	sc, err := flight.DeserializeSchema(schema.Schema, memory.DefaultAllocator)
	if err != nil {
		return nil, fail("GetExecuteSchema decode", err)
	}
	return obj{"schema": res.Schema, "stream_schema": res.StreamSchem, "get_schema": schemaJSON(sc),
		"rows": res.Rows, "total_records": res.TotalRecs, "endpoints": res.Endpoints}, nil
}

func scenarioUpdate(ctx context.Context, s *session) (any, error) {
	counts, err := s.updates(ctx,
		"CREATE TABLE go_upd (id INTEGER PRIMARY KEY, name VARCHAR)",
		"INSERT INTO go_upd VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"UPDATE go_upd SET name = name || '!' WHERE id >= 2",
		"DELETE FROM go_upd WHERE id = 1",
	)
	if err != nil {
		return nil, err
	}
	rows, err := s.rows(ctx, "SELECT id, name FROM go_upd ORDER BY id")
	if err != nil {
		return nil, err
	}
	return obj{"counts": counts, "rows": rows}, nil
}

func scenarioPrepared(ctx context.Context, s *session) (any, error) {
	mem := memory.DefaultAllocator
	if _, err := s.updates(ctx,
		"CREATE TABLE go_prep (id INTEGER, name VARCHAR, day DATE)",
		"INSERT INTO go_prep VALUES (1, 'one', DATE '2024-01-01'), (2, 'two', DATE '2024-01-02'), (3, 'three', DATE '2024-01-03')",
	); err != nil {
		return nil, err
	}
	out := obj{}

	// A query with two parameters.
	stmt, err := s.cl.Prepare(ctx, "SELECT id, name, day FROM go_prep WHERE id >= ? AND name <> ? ORDER BY id")
	if err != nil {
		return nil, fail("Prepare query", err)
	}
	out["query_parameter_schema"] = schemaJSON(stmt.ParameterSchema())
	out["query_dataset_schema"] = schemaJSON(stmt.DatasetSchema())
	isUpdate, known := stmt.IsUpdate()
	out["query_is_update"] = obj{"value": isUpdate, "known": known}
	params := arrow.NewSchema([]arrow.Field{
		{Name: "0", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "1", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	bld := array.NewRecordBuilder(mem, params)
	bld.Field(0).(*array.Int32Builder).Append(2)
	bld.Field(1).(*array.StringBuilder).Append("three")
	rec := bld.NewRecordBatch()
	stmt.SetParameters(rec)
	info, err := stmt.Execute(ctx)
	if err != nil {
		return nil, fail("PreparedStatement.Execute", err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("PreparedStatement fetch", err)
	}
	out["query_rows"] = res.Rows
	out["query_schema"] = res.Schema

	// Re-bind and execute the same statement again.
	bld.Field(0).(*array.Int32Builder).Append(1)
	bld.Field(1).(*array.StringBuilder).Append("two")
	rec2 := bld.NewRecordBatch()
	stmt.SetParameters(rec2)
	info, err = stmt.Execute(ctx)
	if err != nil {
		return nil, fail("PreparedStatement.Execute (rebound)", err)
	}
	res, _, err = s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("PreparedStatement fetch (rebound)", err)
	}
	out["query_rows_rebound"] = res.Rows
	if err := stmt.Close(ctx); err != nil {
		return nil, fail("PreparedStatement.Close", err)
	}
	rec.Release()
	rec2.Release()
	bld.Release()

	// An update with parameters: three rows bound at once, sent in one DoPut.
	ins, err := s.cl.Prepare(ctx, "INSERT INTO go_prep VALUES (?, ?, ?)")
	if err != nil {
		return nil, fail("Prepare insert", err)
	}
	isUpdate, known = ins.IsUpdate()
	out["insert_is_update"] = obj{"value": isUpdate, "known": known}
	out["insert_parameter_schema"] = schemaJSON(ins.ParameterSchema())
	pschema := arrow.NewSchema([]arrow.Field{
		{Name: "0", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "1", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "2", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	ib := array.NewRecordBuilder(mem, pschema)
	defer ib.Release()
	for i, name := range []string{"ten", "eleven", ""} {
		ib.Field(0).(*array.Int32Builder).Append(int32(10 + i))
		if name == "" {
			ib.Field(1).(*array.StringBuilder).AppendNull()
		} else {
			ib.Field(1).(*array.StringBuilder).Append(name)
		}
		ib.Field(2).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(2025, 6, 1+i, 0, 0, 0, 0, time.UTC)))
	}
	irec := ib.NewRecordBatch()
	defer irec.Release()
	ins.SetParameters(irec)
	n, err := ins.ExecuteUpdate(ctx)
	if err != nil {
		return nil, fail("PreparedStatement.ExecuteUpdate", err)
	}
	out["insert_count"] = n
	if err := ins.Close(ctx); err != nil {
		return nil, fail("PreparedStatement.Close insert", err)
	}

	// A prepared update without parameters.
	del, err := s.cl.Prepare(ctx, "DELETE FROM go_prep WHERE id < 3")
	if err != nil {
		return nil, fail("Prepare delete", err)
	}
	n, err = del.ExecuteUpdate(ctx)
	if err != nil {
		return nil, fail("PreparedStatement.ExecuteUpdate delete", err)
	}
	out["delete_count"] = n
	_ = del.Close(ctx)

	rows, err := s.rows(ctx, "SELECT id, name, day FROM go_prep ORDER BY id")
	if err != nil {
		return nil, err
	}
	out["final_rows"] = rows
	return out, nil
}

func scenarioMetadata(ctx context.Context, s *session) (any, error) {
	if _, err := s.updates(ctx,
		"CREATE TABLE go_parent (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)",
		"CREATE TABLE go_child (cid INTEGER, pid INTEGER REFERENCES go_parent(id), note VARCHAR, PRIMARY KEY (cid, pid))",
		"CREATE VIEW go_view AS SELECT id FROM go_parent",
	); err != nil {
		return nil, err
	}
	out := obj{}
	var err error
	info, e := s.cl.GetCatalogs(ctx)
	if out["catalogs"], err = s.infoRows(ctx, "GetCatalogs", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{})
	if out["schemas"], err = s.infoRows(ctx, "GetDBSchemas", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{Catalog: strp("test"), DbSchemaFilterPattern: strp("ma%")})
	if out["schemas_filtered"], err = s.infoRows(ctx, "GetDBSchemas filtered", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: strp("go\\_%"), IncludeSchema: true})
	if out["tables"], err = s.infoRows(ctx, "GetTables include_schema", info, e); err != nil {
		return nil, err
	}
	// Decode the IPC schemas in the table_schema column.
	if t, ok := out["tables"].(obj); ok {
		decoded := obj{}
		for _, row := range t["rows"].([][]any) {
			if len(row) >= 5 && row[4] != nil {
				raw, _ := hex.DecodeString(row[4].(string))
				sc, err := flight.DeserializeSchema(raw, memory.DefaultAllocator)
				if err != nil {
					return nil, fail("GetTables table_schema decode", err)
				}
				decoded[fmt.Sprint(row[2])] = schemaJSON(sc)
				row[4] = "<schema>"
			}
		}
		out["table_schemas"] = decoded
	}
	info, e = s.cl.GetTables(ctx, &flightsql.GetTablesOpts{DbSchemaFilterPattern: strp("main"), TableNameFilterPattern: strp("go%"), TableTypes: []string{"VIEW"}})
	if out["views"], err = s.infoRows(ctx, "GetTables VIEW", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetTableTypes(ctx)
	if out["table_types"], err = s.infoRows(ctx, "GetTableTypes", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "go_child"})
	if out["primary_keys"], err = s.infoRows(ctx, "GetPrimaryKeys", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetExportedKeys(ctx, flightsql.TableRef{Table: "go_parent"})
	if out["exported_keys"], err = s.infoRows(ctx, "GetExportedKeys", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetImportedKeys(ctx, flightsql.TableRef{Table: "go_child"})
	if out["imported_keys"], err = s.infoRows(ctx, "GetImportedKeys", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetXdbcTypeInfo(ctx, nil)
	if out["xdbc_type_info"], err = s.infoRows(ctx, "GetXdbcTypeInfo", info, e); err != nil {
		return nil, err
	}
	info, e = s.cl.GetCrossReference(ctx, flightsql.TableRef{Table: "go_parent"}, flightsql.TableRef{Table: "go_child"})
	if out["cross_reference"], err = s.infoRows(ctx, "GetCrossReference", info, e); err != nil {
		return nil, err
	}
	return out, nil
}

func scenarioSqlInfo(ctx context.Context, s *session) (any, error) {
	ids := []flightsql.SqlInfo{
		flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerVersion,
		flightsql.SqlInfoFlightSqlServerArrowVersion, flightsql.SqlInfoFlightSqlServerReadOnly,
		flightsql.SqlInfoFlightSqlServerSql, flightsql.SqlInfoFlightSqlServerSubstrait,
		flightsql.SqlInfoFlightSqlServerTransaction, flightsql.SqlInfoFlightSqlServerCancel,
		flightsql.SqlInfoFlightSqlServerBulkIngestion, flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported,
		flightsql.SqlInfoIdentifierQuoteChar, flightsql.SqlInfoKeywords,
		flightsql.SqlInfoTransactionsSupported, flightsql.SqlInfoSavePointsSupported,
	}
	info, err := s.cl.GetSqlInfo(ctx, ids)
	if err != nil {
		return nil, fail("GetSqlInfo", err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("GetSqlInfo fetch", err)
	}
	values := obj{}
	for _, row := range res.Rows {
		values[fmt.Sprint(row[0])] = row[1]
	}
	// Everything the server knows (an empty id list).
	info, err = s.cl.GetSqlInfo(ctx, nil)
	if err != nil {
		return nil, fail("GetSqlInfo all", err)
	}
	all, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("GetSqlInfo all fetch", err)
	}
	allIDs := []int{}
	for _, row := range all.Rows {
		id, err := strconv.Atoi(fmt.Sprint(row[0]))
		if err != nil {
			return nil, fail("GetSqlInfo info_name", err)
		}
		allIDs = append(allIDs, id)
	}
	sort.Ints(allIDs)
	return obj{"schema": res.Schema, "values": values, "all_ids": allIDs}, nil
}

func ingestRecord(mem memory.Allocator, ids []int64, names []string) (array.RecordReader, error) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(names, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(schema, []arrow.RecordBatch{rec})
}

func scenarioIngest(ctx context.Context, s *session) (any, error) {
	mem := memory.DefaultAllocator
	opts := func(notExist flightsql.TableDefinitionOptionsTableNotExistOption, exists flightsql.TableDefinitionOptionsTableExistsOption) *flightsql.ExecuteIngestOpts {
		return &flightsql.ExecuteIngestOpts{
			Table:                  "go_ingest",
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfNotExist: notExist, IfExists: exists},
		}
	}
	create := opts(flightsql.TableDefinitionOptionsTableNotExistOptionCreate, flightsql.TableDefinitionOptionsTableExistsOptionFail)
	appendOpt := opts(flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionAppend)
	replace := opts(flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionReplace)
	out := obj{}
	step := func(name string, o *flightsql.ExecuteIngestOpts, ids []int64, names []string) error {
		rdr, err := ingestRecord(mem, ids, names)
		if err != nil {
			return err
		}
		defer rdr.Release()
		n, err := s.cl.ExecuteIngest(ctx, rdr, o)
		if err != nil {
			out[name] = errorJSON(err)
		} else {
			out[name] = obj{"count": n}
		}
		return nil
	}
	if err := step("create", create, []int64{1, 2}, []string{"a", "b"}); err != nil {
		return nil, err
	}
	if err := step("create_again", create, []int64{3}, []string{"c"}); err != nil {
		return nil, err
	}
	if err := step("append", appendOpt, []int64{3, 4, 5}, []string{"c", "d", "e"}); err != nil {
		return nil, err
	}
	rows, err := s.rows(ctx, "SELECT id, name FROM go_ingest ORDER BY id")
	if err != nil {
		return nil, err
	}
	out["rows_after_append"] = rows
	if err := step("replace", replace, []int64{9}, []string{"z"}); err != nil {
		return nil, err
	}
	if rows, err = s.rows(ctx, "SELECT id, name FROM go_ingest ORDER BY id"); err != nil {
		return nil, err
	}
	out["rows_after_replace"] = rows
	missing := opts(flightsql.TableDefinitionOptionsTableNotExistOptionFail, flightsql.TableDefinitionOptionsTableExistsOptionAppend)
	missing.Table = "go_ingest_missing"
	if err := step("append_missing", missing, []int64{1}, []string{"x"}); err != nil {
		return nil, err
	}
	return out, nil
}

func count(ctx context.Context, s *session, sql string) (any, error) {
	rows, err := s.rows(ctx, sql)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return nil, fmt.Errorf("%s: expected one value, got %v", sql, rows)
	}
	return rows[0][0], nil
}

func scenarioTransactions(ctx context.Context, s *session) (any, error) {
	if _, err := s.update(ctx, "CREATE TABLE go_tx (id INTEGER)"); err != nil {
		return nil, err
	}
	out := obj{}
	countSQL := "SELECT count(*) AS n FROM go_tx"

	tx, err := s.cl.BeginTransaction(ctx)
	if err != nil {
		return nil, fail("BeginTransaction", err)
	}
	out["transaction_id_length"] = len(tx.ID())
	n, err := tx.ExecuteUpdate(ctx, "INSERT INTO go_tx VALUES (1), (2)")
	if err != nil {
		return nil, fail("Txn.ExecuteUpdate", err)
	}
	out["rollback_insert_count"] = n
	// Bulk ingest inside the transaction.
	rdr, err := ingestRecord(memory.DefaultAllocator, []int64{3, 4, 5}, []string{"c", "d", "e"})
	if err != nil {
		return nil, err
	}
	n, err = s.cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{
		Table:         "go_tx",
		TransactionId: tx.ID(),
		TableDefinitionOptions: &flightsql.TableDefinitionOptions{
			IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
			IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend},
	})
	rdr.Release()
	if err != nil {
		return nil, fail("ExecuteIngest in transaction", err)
	}
	out["rollback_ingest_count"] = n
	info, err := tx.Execute(ctx, countSQL)
	if err != nil {
		return nil, fail("Txn.Execute", err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("Txn fetch", err)
	}
	out["inside_before_rollback"] = res.Rows[0][0]
	if out["outside_before_rollback"], err = count(ctx, s, countSQL); err != nil {
		return nil, err
	}
	if err := tx.Rollback(ctx); err != nil {
		return nil, fail("Txn.Rollback", err)
	}
	if out["after_rollback"], err = count(ctx, s, countSQL); err != nil {
		return nil, err
	}

	tx, err = s.cl.BeginTransaction(ctx)
	if err != nil {
		return nil, fail("BeginTransaction 2", err)
	}
	if n, err = tx.ExecuteUpdate(ctx, "INSERT INTO go_tx VALUES (7)"); err != nil {
		return nil, fail("Txn.ExecuteUpdate 2", err)
	}
	out["commit_insert_count"] = n
	// A prepared statement inside the transaction.
	prep, err := tx.Prepare(ctx, "INSERT INTO go_tx VALUES (8)")
	if err != nil {
		return nil, fail("Txn.Prepare", err)
	}
	if n, err = prep.ExecuteUpdate(ctx); err != nil {
		return nil, fail("Txn prepared ExecuteUpdate", err)
	}
	out["commit_prepared_count"] = n
	_ = prep.Close(ctx)
	if out["outside_before_commit"], err = count(ctx, s, countSQL); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fail("Txn.Commit", err)
	}
	if out["rows_after_commit"], err = s.rows(ctx, "SELECT id FROM go_tx ORDER BY id"); err != nil {
		return nil, err
	}
	// Savepoints: SqlInfo FLIGHT_SQL_SERVER_TRANSACTION says whether they exist.
	tx, err = s.cl.BeginTransaction(ctx)
	if err != nil {
		return nil, fail("BeginTransaction 3", err)
	}
	if sp, err := tx.BeginSavepoint(ctx, "sp1"); err != nil {
		out["savepoint"] = errorJSON(err)
	} else {
		out["savepoint"] = obj{"error": nil, "id_length": len(sp)}
	}
	if err := tx.Rollback(ctx); err != nil {
		return nil, fail("Txn.Rollback 3", err)
	}
	return out, nil
}

func scenarioLargeResult(ctx context.Context, s *session) (any, error) {
	// ~25 MB of payload: 250,000 rows of a BIGINT and a 92-character string.
	sql := "SELECT i, repeat('x', 80) || lpad(i::VARCHAR, 12, '0') AS s FROM range(250000) t(i)"
	info, err := s.cl.Execute(ctx, sql)
	if err != nil {
		return nil, fail("Execute", err)
	}
	res, nrows, err := s.fetch(ctx, info, false)
	if err != nil {
		return nil, fail("fetch", err)
	}
	return obj{"rows": nrows, "batches": res.Batches, "max_batch_bytes": res.MaxBatch,
		"endpoints": res.Endpoints, "total_records": res.TotalRecs}, nil
}

func scenarioBadSQL(ctx context.Context, s *session) (any, error) {
	out := obj{}
	if _, err := s.cl.Execute(ctx, "SELEC 1"); err != nil {
		out["execute"] = errorJSON(err)
	} else {
		out["execute"] = obj{"error": nil}
	}
	if _, err := s.cl.ExecuteUpdate(ctx, "INSERT INTO no_such_table VALUES (1)"); err != nil {
		out["execute_update"] = errorJSON(err)
	} else {
		out["execute_update"] = obj{"error": nil}
	}
	if _, err := s.cl.Prepare(ctx, "SELECT * FROM no_such_table"); err != nil {
		out["prepare"] = errorJSON(err)
	} else {
		out["prepare"] = obj{"error": nil}
	}
	// The session still works afterwards.
	v, err := count(ctx, s, "SELECT 1 AS one")
	if err != nil {
		return nil, err
	}
	out["still_serving"] = v
	return out, nil
}

// Set by -user2/-password2: a second user for the ownership scenario.
var user2, password2 string

func scenarioOtherUserHandle(ctx context.Context, s *session) (any, error) {
	if user2 == "" {
		return nil, fail("flags", errors.New("other_user_handle needs -user2 and -password2"))
	}
	stmt, err := s.cl.Prepare(ctx, "SELECT 42 AS answer")
	if err != nil {
		return nil, fail("Prepare", err)
	}
	other, err := connect(s.base, s.uri, user2, password2)
	if err != nil {
		return nil, err
	}
	defer other.cl.Close()
	// The second user presents the first user's handle.
	stolen, err := other.cl.LoadPreparedStatementFromResult(&flightsql.CreatePreparedStatementResult{
		PreparedStatementHandle: stmt.Handle()})
	if err != nil {
		return nil, fail("LoadPreparedStatementFromResult", err)
	}
	out := obj{}
	if _, err := stolen.Execute(other.ctx); err != nil {
		out["other_execute"] = errorJSON(err)
	} else {
		out["other_execute"] = obj{"error": nil}
	}
	if err := stolen.Close(other.ctx); err != nil {
		out["other_close"] = errorJSON(err)
	} else {
		out["other_close"] = obj{"error": nil}
	}
	// The owner can still use and close it.
	info, err := stmt.Execute(ctx)
	if err != nil {
		return nil, fail("owner Execute", err)
	}
	res, _, err := s.fetch(ctx, info, true)
	if err != nil {
		return nil, fail("owner fetch", err)
	}
	out["owner_rows"] = res.Rows
	if err := stmt.Close(ctx); err != nil {
		return nil, fail("owner Close", err)
	}
	return out, nil
}

func scenarioPoll(ctx context.Context, s *session) (any, error) {
	// Rows that trickle out over a few seconds, so that several polls see new endpoints.
	sql := "SELECT i FROM range(20000000) t(i) WHERE md5(i::VARCHAR) LIKE '0%'"
	var endpointCounts []int
	var progress []float64
	var retry *flight.FlightDescriptor
	var info *flight.FlightInfo
	for polls := 0; polls < 1000; polls++ {
		poll, err := s.cl.ExecutePoll(ctx, sql, retry)
		if err != nil {
			return nil, fail("ExecutePoll", err)
		}
		info = poll.GetInfo()
		endpointCounts = append(endpointCounts, len(info.Endpoint))
		if poll.Progress != nil {
			progress = append(progress, poll.GetProgress())
		}
		retry = poll.GetFlightDescriptor()
		if retry == nil {
			break
		}
	}
	if retry != nil {
		return nil, fail("ExecutePoll", errors.New("the query did not finish within 1000 polls"))
	}
	_, nrows, err := s.fetch(ctx, info, false)
	if err != nil {
		return nil, fail("fetch", err)
	}
	expected, err := count(ctx, s, "SELECT count(*) FROM range(20000000) t(i) WHERE md5(i::VARCHAR) LIKE '0%'")
	if err != nil {
		return nil, err
	}
	return obj{"endpoint_counts": endpointCounts, "progress": progress, "rows": nrows,
		"expected_rows": expected, "total_records": info.TotalRecords,
		"query_id": string(info.AppMetadata)}, nil
}

func scenarioPollCancel(ctx context.Context, s *session) (any, error) {
	poll, err := s.cl.ExecutePoll(ctx, "SELECT sum(hash(i)) FROM range(100000000000) t(i)", nil)
	if err != nil {
		return nil, fail("ExecutePoll", err)
	}
	time.Sleep(500 * time.Millisecond)
	first, err := s.cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: poll.GetInfo()})
	if err != nil {
		return nil, fail("CancelFlightInfo", err)
	}
	second, err := s.cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: poll.GetInfo()})
	if err != nil {
		return nil, fail("CancelFlightInfo 2", err)
	}
	out := obj{"first": first.GetStatus().String(), "second": second.GetStatus().String()}
	if _, err := s.cl.ExecutePoll(ctx, "", poll.GetFlightDescriptor()); err != nil {
		out["poll_after_cancel"] = errorJSON(err)
	} else {
		out["poll_after_cancel"] = obj{"error": nil}
	}
	return out, nil
}

var scenarios = map[string]func(context.Context, *session) (any, error){
	"poll":              scenarioPoll,
	"poll_cancel":       scenarioPollCancel,
	"other_user_handle": scenarioOtherUserHandle,
	"connect":           scenarioConnect,
	"query_types":       scenarioQueryTypes,
	"update":            scenarioUpdate,
	"prepared":          scenarioPrepared,
	"metadata":          scenarioMetadata,
	"sql_info":          scenarioSqlInfo,
	"ingest":            scenarioIngest,
	"transactions":      scenarioTransactions,
	"large_result":      scenarioLargeResult,
	"bad_sql":           scenarioBadSQL,
}

func main() {
	uri := flag.String("uri", "", "server URI, grpc://HOST:PORT")
	user := flag.String("user", "default", "user name")
	password := flag.String("password", "", "password")
	flag.StringVar(&user2, "user2", "", "second user (other_user_handle)")
	flag.StringVar(&password2, "password2", "", "second user's password")
	timeout := flag.Duration("timeout", 60*time.Second, "deadline for all scenarios")
	flag.Usage = func() {
		names := []string{}
		for n := range scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: %s -uri grpc://HOST:PORT -user U -password P SCENARIO...\nscenarios: all %s\n",
			os.Args[0], strings.Join(names, " "))
	}
	flag.Parse()
	names := flag.Args()
	if *uri == "" || len(names) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if len(names) == 1 && names[0] == "all" {
		names = names[:0]
		for n := range scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for _, n := range names {
		if scenarios[n] == nil {
			fmt.Fprintf(os.Stderr, "unknown scenario %q\n", n)
			flag.Usage()
			os.Exit(2)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out := obj{}
	failed := false
	for _, n := range names {
		s, err := connect(ctx, *uri, *user, *password)
		var r any
		if err == nil {
			r, err = scenarios[n](s.ctx, s)
			s.cl.Close()
		}
		if err != nil {
			failed = true
			out[n] = errorJSON(err)
			fmt.Fprintf(os.Stderr, "scenario %s failed: %v\n", n, err)
		} else {
			out[n] = r
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "encoding JSON:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}
