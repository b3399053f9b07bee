SELECT nextval('handover_reference_seq')
