-- A card answered in place takes on the subject of what it now shows
-- (SetDeliverySubject), looked up by the message the platform names.
CREATE INDEX deliveries_message_idx ON deliveries (platform, message_id) WHERE message_id <> '';
