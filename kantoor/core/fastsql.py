"""One INSERT statement without the ORM's per-call query compilation.

The platform writes an audit row and an outbox row with every service call, and the relay
a receipt per handler: on the hot path the ORM's compilation costs several times the
database work (≈ 80 µs against ≈ 15 µs per row on SQLite). The SQL is built once per model
and field set; values still go through each field's own database preparation, so JSON,
dates and foreign keys are stored exactly as the ORM would store them, on every backend.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

# Django's own field classes whose preparation passes a value of the plain Python type the
# field stores through unchanged, on every backend (to_python of an int, a str, a bool or a
# finite Decimal is the value itself; None is NULL): such values skip the preparation.
_PASS_THROUGH: dict[type, tuple[type, ...]] = {
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.PositiveSmallIntegerField,
        ),
        (int,),
    ),
    **dict.fromkeys((models.CharField, models.TextField, models.EmailField, models.SlugField), (str,)),
    models.BooleanField: (bool,),
    models.DecimalField: (decimal.Decimal,),
}


M = TypeVar("M", bound=models.Model)

_DATE, _DATETIME = "date", "datetime"
_MISSING = object()
# Per column: the field's name, the field, the value types it stores unprepared and whether
# it is a date or date-time field.
_Spec = tuple[str, Any, tuple[type, ...], str]


def _plain_types(field: Any) -> tuple[tuple[type, ...], str]:
    """The value types `field` (a foreign key: its target) stores unprepared, and whether
    it is a date or date-time field (whose values the backend adapts)."""
    target = type(field.target_field if field.is_relation else field)
    if target is models.DateField:
        return (type(None),), _DATE
    if target is models.DateTimeField:
        return (type(None),), _DATETIME
    types = _PASS_THROUGH.get(target, ())
    return ((*types, type(None)) if types else ()), ""


@functools.cache
def _statement(
    model: type[models.Model], names: tuple[str, ...], rows: int, vendor: str, returning: bool = False
) -> tuple[str, list[_Spec]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    connection = _connection()
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not (f.primary_key and f.name not in names)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {', '.join([row] * rows)}"  # noqa: S608 - names only
    if rows == 1 or returning:
        sql += f" RETURNING {quote(opts.pk.column)}"
    return sql, [(f.name, f, *_plain_types(f)) for f in fields]


def _connection() -> BaseDatabaseWrapper:
    # The wrapper itself, not the `connection` proxy, whose every attribute access goes
    # through a context-local lookup. Not cached: test tooling (a live server) may give a
    # thread another wrapper, and a cached one would write through a second connection.
    return connections[DEFAULT_DB_ALIAS]


def cursor() -> Any:
    """A cursor of the default connection for the hot path's plain statements. One cursor
    per connection serves them all (making one costs more than a short statement), so read
    a statement's results to their end (fetchall) before the next: that also ends SQLite's
    read. A new connection, or logging queries switched on or off, makes a new cursor."""
    connection = _connection()
    kept = connection.__dict__.get("_kantoor_fastsql_cursor")
    if kept is not None and kept[0] is connection.connection and kept[1] == connection.queries_logged:
        return kept[2]
    made = connection.cursor()
    connection.__dict__["_kantoor_fastsql_cursor"] = (connection.connection, connection.queries_logged, made)
    return made


def _params(specs: list[_Spec], values: Mapping[str, Any], connection: BaseDatabaseWrapper) -> list[Any]:
    ops = connection.ops
    params: list[Any] = []
    append, get = params.append, values.get
    for name, field, types, adapt in specs:
        value = get(name, _MISSING)
        if value is _MISSING:
            value = field.get_default()
        kind = type(value)
        if kind in types:  # an int, str, bool, Decimal or None the field stores as it is
            if kind is decimal.Decimal and not value.is_finite():
                value = field.get_db_prep_save(value, connection)  # refused as the ORM refuses it
        elif adapt is _DATE and kind is dt.date:
            value = ops.adapt_datefield_value(value)
        elif adapt is _DATETIME and kind is dt.datetime and value.tzinfo is not None:
            value = ops.adapt_datetimefield_value(value)
        else:
            value = field.get_db_prep_save(value, connection)
        append(value)
    return params


def insert(model: type[models.Model], values: Mapping[str, Any]) -> int:
    """Insert one row of `model` and return its primary key. Fields not given take their
    model default; foreign keys are given by name with the related id as value."""
    connection = _connection()
    sql, specs = _statement(model, tuple(sorted(values)), 1, connection.vendor)
    rows = cursor()
    rows.execute(sql, _params(specs, values, connection))
    # fetchall, not fetchone: an unfinished statement keeps SQLite's read open (and, with a
    # shared cache, its table locked for the other connections) until the cursor goes.
    return int(rows.fetchall()[0][0])


def insert_many(
    model: type[models.Model], rows: list[Mapping[str, Any]], *, returning: bool = False
) -> list[int]:
    """Insert rows that all give the same fields, in one statement; with `returning`, their
    primary keys in the order of `rows` (as bulk_create relies on for PostgreSQL and
    SQLite 3.35+), else []."""
    if not rows:
        return []
    connection = _connection()
    sql, specs = _statement(model, tuple(sorted(rows[0])), len(rows), connection.vendor, returning)
    params = [p for values in rows for p in _params(specs, values, connection)]
    statement = cursor()
    statement.execute(sql, params)
    return [int(row[0]) for row in statement.fetchall()] if returning or len(rows) == 1 else []


def insert_instance(obj: models.Model) -> None:
    """Insert a new, unsaved model instance and give it its primary key."""
    values = {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key}
    obj.pk = insert(type(obj), values)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS


def insert_objects(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model in one statement (their pk stays unset)."""
    if objs:
        fields = [f for f in objs[0]._meta.concrete_fields if not f.primary_key]
        insert_many(type(objs[0]), [{f.name: getattr(o, f.attname) for f in fields} for o in objs])


def update_where_null(model: type[models.Model], *, pk: int, field: str, value: Any) -> int:
    """Set `field` of row `pk` only while it is NULL; returns 1 when this call set it (a
    claim: the UPDATE also takes the row lock until the transaction ends)."""
    connection = _connection()
    opts, quote = model._meta, connection.ops.quote_name
    target = cast("models.Field[Any, Any]", opts.get_field(field))
    column, pk_column = quote(target.column), quote(opts.pk.column)
    sql = f"UPDATE {quote(opts.db_table)} SET {column} = %s WHERE {pk_column} = %s AND {column} IS NULL"  # noqa: S608 - names only
    statement = cursor()
    statement.execute(sql, [target.get_db_prep_save(value, connection), pk])
    return int(statement.rowcount)


@functools.cache
def _update_statement(
    model: type[models.Model], names: tuple[str, ...], vendor: str
) -> tuple[str, list[_Spec]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    connection = _connection()
    opts, quote = model._meta, connection.ops.quote_name
    fields = [cast("models.Field[Any, Any]", opts.get_field(name)) for name in names]
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608 - names only
    return sql, [(f.name, f, *_plain_types(f)) for f in fields]


def update_objects(objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write the fields `names` of saved instances of one model, one UPDATE per row by
    primary key sent in one batch: what bulk_update does, without the CASE expressions
    whose compilation costs far more than the statements on the hot path."""
    if not objs:
        return
    connection = _connection()
    sql, specs = _update_statement(type(objs[0]), tuple(names), connection.vendor)
    rows = [
        [*_params(specs, {f.name: getattr(obj, f.attname) for _n, f, *_r in specs}, connection), obj.pk]
        for obj in objs
    ]
    cursor().executemany(sql, rows)


def insert_objects_returning(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model in one statement and give each its primary key."""
    if not objs:
        return
    fields = [f for f in objs[0]._meta.concrete_fields if not f.primary_key]
    ids = insert_many(
        type(objs[0]), [{f.name: getattr(o, f.attname) for f in fields} for o in objs], returning=True
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


@functools.cache
def _select_statement(model: type[models.Model], vendor: str) -> tuple[str, list[str], tuple[Any, ...]]:
    # `vendor` is part of the cache key: quoting differs per backend.
    connection = _connection()
    opts, quote = model._meta, connection.ops.quote_name
    fields = tuple(opts.concrete_fields)
    columns = ", ".join(f"{quote(opts.db_table)}.{quote(f.column)}" for f in fields)
    return f"SELECT {columns} FROM {quote(opts.db_table)}", [f.attname for f in fields], fields  # noqa: S608 - names only


def _converters(fields: tuple[Any, ...], connection: BaseDatabaseWrapper) -> list[tuple[int, list[Any], Any]]:
    """What the ORM's compiler applies to a column of each field (`SQLCompiler.get_converters`):
    the backend's converters (dates and decimals on SQLite…), then the field's own. Kept on
    the connection wrapper (one per thread), whose operations they belong to."""
    cache: dict[tuple[Any, ...], list[tuple[int, list[Any], Any]]] = connection.__dict__.setdefault(
        "_kantoor_fastsql_converters", {}
    )
    converters = cache.get(fields)
    if converters is None:
        converters = []
        for i, field in enumerate(fields):
            column = field.get_col(field.model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters.append((i, functions, column))
        cache[fields] = converters
    return converters


def select(
    model: type[M], where: str = "", params: Sequence[Any] = (), *, lock: bool = False, order_by: str = ""
) -> list[M]:
    """Instances of `model` whose row matches `where` (SQL on its table's columns, with %s
    parameters), each value converted as the ORM converts it and built by `Model.from_db`
    as a queryset builds it; `lock` takes the rows FOR UPDATE on PostgreSQL (SQLite's
    IMMEDIATE transaction holds the write lock already). For the hot path's fixed reads,
    whose compilation through the ORM costs several times the query."""
    connection = _connection()
    sql, names, fields = _select_statement(model, connection.vendor)
    if where:
        sql = f"{sql} WHERE {where}"
    if order_by:
        sql = f"{sql} ORDER BY {order_by}"
    if lock and connection.vendor == "postgresql":
        sql = f"{sql} FOR UPDATE"
    statement = cursor()
    statement.execute(sql, list(params))
    rows = statement.fetchall()
    converters = _converters(fields, connection)
    instances = []
    from_db = model.from_db
    for raw in rows:
        row = list(raw)
        for i, functions, column in converters:
            value = row[i]
            for function in functions:
                value = function(value, column, connection)
            row[i] = value
        instances.append(from_db(DEFAULT_DB_ALIAS, names, row))
    return instances


@functools.cache
def _joined_statement(
    model: type[models.Model], related: str, vendor: str
) -> tuple[str, list[str], list[str], tuple[Any, ...], Any]:
    # `vendor` is part of the cache key: quoting differs per backend.
    quote = _connection().ops.quote_name
    sql, names, fields = _select_statement(model, vendor)
    field = model._meta.get_field(related)
    target = cast("type[models.Model]", field.related_model)
    target_sql, target_names, target_fields = _select_statement(target, vendor)
    table, target_table = quote(model._meta.db_table), quote(target._meta.db_table)
    columns = sql.removeprefix("SELECT ").split(" FROM ")[0]
    target_columns = target_sql.removeprefix("SELECT ").split(" FROM ")[0]
    # The filtered rows as a derived table named like the table: the caller's `where`
    # names its columns without ambiguity, the outer query's qualified names still fit.
    statement = (
        f"SELECT {columns}, {target_columns} FROM (SELECT * FROM {table} WHERE {{where}}) AS {table} "  # noqa: S608 - names only
        f"JOIN {target_table} ON {target_table}.{quote(target._meta.pk.column)} = "
        f"{table}.{quote(cast('Any', field).column)}"
    )
    return statement, names, target_names, (*fields, *target_fields), field


def select_related(model: type[M], related: str, where: str, params: Sequence[Any] = ()) -> list[M]:
    """select() of the rows matching `where`, each with the row of its (not null) foreign
    key `related` attached, in one query (a join). Not locked."""
    connection = _connection()
    sql, names, target_names, fields, field = _joined_statement(model, related, connection.vendor)
    statement = cursor()
    statement.execute(sql.replace("{where}", where), list(params))
    rows = statement.fetchall()
    converters = _converters(fields, connection)
    split = len(names)
    from_db, target_from_db = model.from_db, field.related_model.from_db
    instances = []
    for raw in rows:
        row = list(raw)
        for i, functions, column in converters:
            value = row[i]
            for function in functions:
                value = function(value, column, connection)
            row[i] = value
        instance = from_db(DEFAULT_DB_ALIAS, names, row[:split])
        field.set_cached_value(instance, target_from_db(DEFAULT_DB_ALIAS, target_names, row[split:]))
        instances.append(instance)
    return instances


def placeholders(values: Sequence[Any]) -> str:
    """ "%s, %s, …" for an IN list of `values` (at least one)."""
    return ", ".join(["%s"] * len(values))
