// The store's SQLite schema: every migration in order, and the code that applies them.
// Append only: a migration that has shipped never changes; a new one gets the next version.
// Called by store::open() on the opening thread, before the store's thread starts.
#pragma once

#include <string>

#include <boost/system/result.hpp>

namespace SQLite {
class Database;
}

namespace palaver::server::schema {

// The PRAGMA user_version this build writes and understands.
inline constexpr int current_version = 3;

// Brings the database up to current_version, one transaction per migration (the migration's
// DDL and its user_version together, so a crash leaves a whole version). Error: a reason fit
// for a start-up message, for example a database written by a newer build. `target` below
// current_version stops early: tests use it to make a database as an older build left it.
boost::system::result<void, std::string> migrate(SQLite::Database& db,
                                                 int target = current_version);

}  // namespace palaver::server::schema
