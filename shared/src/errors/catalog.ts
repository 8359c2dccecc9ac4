/**
 * The one catalog of GridLink error codes. Every code is documented in docs/ERRORS.md
 * (a test fails when one is not). Codes are stable: callers branch on `.code`, never on text.
 */
export const errorCatalog = {
  GL_CONFIG_INVALID: { status: 400, summary: 'A configuration file or value failed validation.' },
  GL_PAYLOAD_INVALID_JSON: { status: 400, summary: 'A payload is not valid JSON.' },
  GL_PAYLOAD_SCHEMA: { status: 400, summary: 'A payload is JSON but does not match its schema.' },
  GL_PAYLOAD_TOO_LARGE: { status: 413, summary: 'A payload exceeds the configured size limit.' },
  GL_PAYLOAD_ENCODING: {
    status: 400,
    summary: 'A payload declares gzip compression but does not inflate.',
  },
  GL_TOPIC_INVALID: { status: 400, summary: 'An MQTT topic is not part of the gl/v1 tree.' },
  GL_EDGE_MISMATCH: { status: 400, summary: 'The edgeId in a payload differs from its topic.' },
  GL_EDGE_UNKNOWN: { status: 404, summary: 'No edge is registered under that id.' },
  GL_BATCH_DUPLICATE: {
    status: 200,
    summary: 'A telemetry batch at or below the high-water mark.',
  },
  GL_BATCH_GAP: {
    status: 409,
    summary: 'A batch starts beyond the high-water mark, gap not dropped.',
  },
  GL_MQTT_AUTH_FAILED: { status: 401, summary: 'An MQTT client failed to authenticate.' },
  GL_MQTT_PUBLISH_DENIED: { status: 403, summary: 'An MQTT client published outside its topics.' },
  GL_MQTT_SUBSCRIBE_DENIED: {
    status: 403,
    summary: 'An MQTT client subscribed outside its topics.',
  },
  // Domain errors, neutral to the transport: services throw them, the HTTP layer answers with
  // them and the status given here (central/src/http/errors.ts maps code to status in one place).
  GL_UNAUTHORIZED: { status: 401, summary: 'Missing or invalid credentials.' },
  GL_FORBIDDEN: { status: 403, summary: 'The caller may not do this.' },
  GL_NOT_FOUND: { status: 404, summary: 'No such object or route (or not yours).' },
  GL_VALIDATION: { status: 400, summary: 'A parameter or input failed validation.' },
  GL_CONFLICT: { status: 409, summary: 'The request conflicts with existing state.' },
  GL_INTERNAL: { status: 500, summary: 'An unexpected internal error; details are in the log.' },
  GL_PROFILE_INVALID: { status: 400, summary: 'A device profile failed validation.' },
  GL_PROFILE_UNKNOWN: { status: 404, summary: 'No device profile with that id.' },
  GL_REGISTER_DECODE: { status: 502, summary: 'Register words could not be decoded as the field.' },
  GL_MODBUS_TIMEOUT: { status: 504, summary: 'A Modbus device did not answer in time.' },
  GL_MODBUS_CRC: { status: 502, summary: 'A Modbus RTU frame failed its CRC check.' },
  GL_MODBUS_EXCEPTION: { status: 502, summary: 'A Modbus device answered with an exception code.' },
  GL_MODBUS_BAD_FRAME: {
    status: 502,
    summary: 'A Modbus reply was short, or for another unit/function.',
  },
  GL_DEVICE_OFFLINE: { status: 503, summary: 'A device failed too many consecutive polls.' },
  GL_LOG_LOCKED: { status: 503, summary: 'The edge log store is held by another process.' },
  GL_LOG_APPEND_FAILED: {
    status: 503,
    summary: 'The edge log refused an append; retried, then its readings counted as dropped.',
  },
  GL_PORT_IN_USE: { status: 503, summary: 'A listening port is taken by another process.' },
  GL_BILLING_INPUT_INVALID: {
    status: 400,
    summary: 'A tariff definition or billing input is inconsistent.',
  },
  GL_PIX_INVALID: { status: 400, summary: 'A Pix BR Code input or payload is malformed.' },
  GL_PIX_CRC: { status: 400, summary: 'A Pix BR Code payload failed its CRC16 check.' },
  GL_DOCUMENT_INVALID: {
    status: 400,
    summary: 'A CPF or CNPJ failed normalization or check digits.',
  },
  GL_SERIAL_PORT: {
    status: 503,
    summary: 'A serial port or pty pair could not be created or opened.',
  },
  GL_COMMAND_INVALID: {
    status: 400,
    summary: 'A device command is unknown or its value is invalid.',
  },
  GL_METER_UNKNOWN: {
    status: 403,
    summary: 'A push meter is not configured; its data is rejected.',
  },
  GL_PENDING_FULL: {
    status: 503,
    summary:
      'An unknown push meter cannot be held as pending: too many pending, or its buffer is full.',
  },
  GL_DEVICE_TIMEOUT: {
    status: 504,
    summary: 'A device (not Modbus: e.g. a KEBA UDP charger) did not answer in time.',
  },
  GL_COMMAND_REFUSED: {
    status: 409,
    summary: 'The device answered a command with a refusal; nothing changed.',
  },
  GL_SENDER_UNKNOWN: {
    status: 403,
    summary: 'A datagram came from an address and port that is no configured device.',
  },
  GL_ALARM_TRANSITION: {
    status: 409,
    summary: 'The alarm cannot take that transition from its state.',
  },
  GL_READING_INVALID: {
    status: 400,
    summary: 'A reading fails the wire schema or the plausibility window (time, finite values).',
  },
  GL_READING_QUARANTINED: {
    status: 200,
    summary: 'A reading was set aside at ingest (kept raw, counted); the rest of its batch stored.',
  },
  GL_RATE_LIMITED: {
    status: 429,
    summary: 'Too many attempts from this account or address; retry after the time given.',
  },
  GL_MQTT_CLIENT_ID_DENIED: {
    status: 403,
    summary: 'An MQTT client id does not belong to the authenticated principal.',
  },
  GL_MQTT_SESSION_LIMIT: {
    status: 429,
    summary: 'A principal already holds its maximum number of MQTT sessions.',
  },
  GL_METER_TAKEN: {
    status: 409,
    summary: 'A push meter id is live on another connection; the newcomer is refused.',
  },
  GL_METER_AUTH_FAILED: {
    status: 401,
    summary: 'A push meter sent a wrong or missing shared secret.',
  },
  GL_CONNECTION_LIMIT: {
    status: 503,
    summary: 'A listener holds its maximum number of connections; the newcomer is refused.',
  },
  GL_PAYLOAD_MEDIA_TYPE: {
    status: 415,
    summary: 'A request body is not of a media type the operation takes (application/json).',
  },
  GL_PAYLOAD_TOO_DEEP: {
    status: 400,
    summary: 'A JSON payload nests deeper than the limit.',
  },
  GL_DEVICE_UNKNOWN: {
    status: 404,
    summary: 'The edge has no device with that id (per its status or its desired config).',
  },
  GL_EV_SLOT_TAKEN: {
    status: 409,
    summary: 'A booking overlaps a live booking of the same charging point; details.nextFree.',
  },
  GL_FED_CANCELED: {
    status: 409,
    summary:
      'A federated branch was canceled (or its cancel came first): a try or confirm is refused.',
  },
  GL_FED_HOLD_EXPIRED: {
    status: 409,
    summary: 'A confirm came after its hold expired and the slot was taken since.',
  },
  GL_FED_ALREADY_COMMITTED: {
    status: 409,
    summary: 'A cancel of a committed federated branch without compensate.',
  },
  GL_FED_BRANCH_UNKNOWN: {
    status: 404,
    summary: 'No federated branch under that coordinator, transaction and branch id.',
  },
  GL_FED_UNKNOWN_PEER: {
    status: 403,
    summary: 'A peer token whose subject is no configured peer of this central.',
  },
  GL_FED_PEER_UNREACHABLE: {
    status: 502,
    summary: 'A peer central did not answer (refused, timed out or answered 5xx).',
  },
  GL_EV_POINT_RESERVED: {
    status: 409,
    summary: 'A charging point is reserved for another car in this slot; the start is refused.',
  },
  GL_EV_BOOKING_STATE: {
    status: 409,
    summary: 'The booking cannot take that transition from its state (or its terms forbid it).',
  },
  GL_EV_POINT_NOT_BOOKABLE: {
    status: 409,
    summary: 'The charging point is inactive or in maintenance: it takes no bookings.',
  },
  GL_EV_PLATE_MISMATCH: {
    status: 400,
    summary: 'The placa in a car report differs from the plate of its topic.',
  },
  GL_EV_DEVICE_UNKNOWN: {
    status: 404,
    summary: 'The edge has reported no device with that id: nothing to bind to the point.',
  },
  GL_EV_DEVICE_NOT_CHARGER: {
    status: 400,
    summary: 'Only a charger device can be bound to a charging point.',
  },
  GL_EV_DEVICE_BOUND: {
    status: 409,
    summary: 'The charger device is bound to another charging point; unbind it there first.',
  },
  GL_EV_POINT_UNBOUND: {
    status: 409,
    summary: 'The charging point has no charger bound: it cannot be started or stopped remotely.',
  },
  GL_EV_START_REFUSED: {
    status: 409,
    summary: 'A remote start was refused by the reservations (details.reason says why).',
  },
  GL_EV_TRIP_NO_STATION_IN_RANGE: {
    status: 422,
    summary:
      'No charging station reachable from the origin or from a reachable station (details.from).',
  },
  GL_EV_TRIP_DESTINATION_UNREACHABLE: {
    status: 422,
    summary:
      'The destination lies beyond a full charge (keeping its minimum) from every reachable station.',
  },
  GL_EV_TRIP_CAR_TOO_SMALL: {
    status: 422,
    summary: "The trip needs a hop longer than the car's full range.",
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export const errorCodes = Object.keys(errorCatalog) as ErrorCode[];
