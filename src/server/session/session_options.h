// SetSessionOptions / GetSessionOptions mapped onto DuckDB settings of a connection, plus the
// `catalog` and `schema` options ADBC and JDBC use for the current catalog and schema.
#pragma once

#include <arrow/flight/types.h>
#include <arrow/result.h>

#include "engine/database.h"

namespace quiver::session {

// Applies each option (`catalog` and `schema` first, then the others in name order); failures
// are reported per option: INVALID_NAME for unknown settings, INVALID_VALUE for values DuckDB
// refuses. An option without a value resets the setting.
arrow::Result<arrow::flight::SetSessionOptionsResult> SetSessionOptions(
    engine::Connection& connection, const arrow::flight::SetSessionOptionsRequest& request);

// Every DuckDB setting of the connection as a string, plus `catalog` and `schema`.
arrow::Result<arrow::flight::GetSessionOptionsResult> GetSessionOptions(
    engine::Connection& connection);

}  // namespace quiver::session
