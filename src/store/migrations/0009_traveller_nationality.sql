-- A saved traveller's nationality (ISO 3166-1 alpha-2, NULL when not given): the country of
-- the passport holder, which need not be the passport's issuing country.

ALTER TABLE travellers ADD COLUMN nationality TEXT;
