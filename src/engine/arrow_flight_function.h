// The arrow_flight(location, dataset_or_sql [, user, password]) table function: Quiver's SQL reads
// from other Arrow Flight services. The first argument is a location (grpc://host:port or
// grpc+tls://host:port) or the name of a configured connection; the second a dataset name (sent
// as a PATH descriptor) or a query (sent as a CMD descriptor when it starts like SQL).
//
// This is the one place where the engine talks to Flight; it does so only through
// client::FlightReader, so Flight types still stay out of the engine.
#pragma once

#include <arrow/c/abi.h>  // must precede duckdb.h, which only forward-declares the Arrow C structs
#include <arrow/status.h>
#include <duckdb.h>

#include <string>
#include <vector>

#include "common/config.h"

namespace quiver::engine {

// Registers arrow_flight() in the system catalog of `connection`'s database, so that every
// connection sees it. `connection` must stay open until the database closes: the function
// converts data with it (it reads the database's settings; no statement ever runs on it).
arrow::Status RegisterArrowFlightFunction(duckdb_connection connection,
                                          std::vector<FlightConnectionConfig> named_connections);

// DuckDB's C API cannot give a table function optional positional arguments, so the
// four-argument form (user and password) is a temporary macro over the registered function.
// Temporary objects belong to one connection and cost a quarter of a millisecond to create, so
// the macro is (re)created only on a connection about to run SQL that mentions arrow_flight.
void DefineArrowFlightMacro(duckdb_connection connection, const std::string& sql);

}  // namespace quiver::engine
