-- A new subscription; its delivery starts at the feed position of this moment (start_tx).
INSERT INTO webhook_subscriptions
    (id, org, unit, url, event_types, description, secret_sealed, secret_key_id, roles,
     visible_units, executing_org, scope_org, scope_region, created_by)
VALUES (:id::uuid, :org, :unit, :url, :event_types::text[], :description, :secret_sealed,
        :secret_key_id, :roles::text[], :visible_units::text[], :executing_org, :scope_org,
        :scope_region, :created_by)
RETURNING id::text AS id, org, unit, url, event_types, description, status, status_reason,
          status_changed_at, created_by, created_at
