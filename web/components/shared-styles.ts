import { css } from 'lit';

/** Styles every screen shares: tables, buttons, progress, messages. Readable at 375 px. */
export const sharedStyles = css`
  :host {
    display: block;
  }
  /* position: relative keeps absolutely positioned children (.visually-hidden) inside the scroll box instead of widening the page. */
  .scroll {
    overflow-x: auto;
    -webkit-overflow-scrolling: touch;
    max-width: 100%;
    position: relative;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
    font-size: 0.92rem;
  }
  caption {
    text-align: left;
    font-size: 0.85rem;
    opacity: 0.8;
    padding: 0.2rem 0;
    caption-side: top;
  }
  th,
  td {
    padding: 0.3rem 0.55rem;
    border-bottom: 1px solid #8884;
    text-align: left;
    vertical-align: top;
  }
  th {
    font-weight: 600;
    white-space: nowrap;
  }
  td.n,
  th.n {
    text-align: right;
    white-space: nowrap;
  }
  tfoot td {
    font-weight: 700;
  }
  button,
  select,
  input,
  textarea {
    font: inherit;
  }
  button {
    padding: 0.4rem 0.8rem;
    border-radius: 6px;
    border: 1px solid #1a5fb4;
    background: #1a5fb4;
    color: #fff;
    cursor: pointer;
    min-height: 2.25rem;
  }
  button.secondary {
    background: transparent;
    color: inherit;
    border-color: #8888;
  }
  button.danger {
    background: transparent;
    color: #b00020;
    border-color: #b00020;
  }
  button:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  button:focus-visible,
  select:focus-visible,
  input:focus-visible,
  a:focus-visible,
  canvas:focus-visible,
  [tabindex]:focus-visible {
    outline: 3px solid #f5a623;
    outline-offset: 2px;
  }
  select,
  input[type='number'],
  input[type='text'] {
    padding: 0.3rem;
    border-radius: 4px;
    border: 1px solid #8888;
    background: inherit;
    color: inherit;
    max-width: 100%;
  }
  label {
    font-weight: 600;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    margin: 0.5rem 0;
  }
  .error {
    color: #b00020;
    border: 1px solid currentColor;
    padding: 0.6rem 0.75rem;
    border-radius: 6px;
    margin: 0.5rem 0;
  }
  .note {
    border-left: 4px solid #8a6d00;
    padding: 0.4rem 0.75rem;
    background: #8a6d0014;
    margin: 0.5rem 0;
  }
  .ok {
    color: #087f23;
  }
  .muted {
    opacity: 0.75;
    font-size: 0.9rem;
  }
  .tag {
    display: inline-block;
    font-size: 0.75rem;
    padding: 0 0.4rem;
    border-radius: 999px;
    border: 1px solid currentColor;
    margin-left: 0.3rem;
    white-space: nowrap;
  }
  .tag.warn {
    color: #8a6d00;
  }
  /* Runtime badge (badges.ts): a palette swatch, then the runtime in the text colour. */
  .rt {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    white-space: nowrap;
  }
  .rt .swatch {
    display: inline-block;
    width: 0.75rem;
    height: 0.75rem;
    border-radius: 3px;
    flex: none;
  }
  progress {
    width: min(100%, 28rem);
    height: 1rem;
  }
  .progress {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    margin: 0.5rem 0;
  }
  h3 {
    font-size: 1.05rem;
    margin: 1rem 0 0.4rem;
  }
  /* Phone width: a table.cards shows each row as a card of "label: value" lines (labels from data-label) instead of a wide row. */
  @media (max-width: 600px) {
    table.cards thead {
      display: none;
    }
    table.cards,
    table.cards tbody,
    table.cards tr,
    table.cards td,
    table.cards caption {
      display: block;
      width: 100%;
      box-sizing: border-box;
    }
    table.cards tr {
      border: 1px solid #8886;
      border-radius: 8px;
      margin: 0.5rem 0;
      padding: 0.25rem 0.5rem;
    }
    table.cards td {
      border: 0;
      padding: 0.15rem 0;
      display: flex;
      justify-content: space-between;
      gap: 1rem;
      text-align: right;
      white-space: normal;
    }
    table.cards td::before {
      content: attr(data-label);
      font-weight: 600;
      text-align: left;
    }
    table.cards td.name {
      display: block;
      text-align: left;
      font-weight: 600;
    }
    table.cards td.name::before {
      content: none;
    }
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
