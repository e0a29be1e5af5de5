// Form controls for schema input fields, chosen by type: Int and Float as number
// inputs, String as text, Boolean as a checkbox, enums as selects, input objects as
// grouped fields, lists of scalars as comma-separated text, Upload as a file input
// (sent as an extra file of the multipart request). Anything else takes JSON.
import { catalogue, type InputField, type TypeRef } from './catalogue';
import { el, nextId } from './dom';

/** A file picked for an Upload argument, and where in the variables it goes. */
export interface FileArgument {
  path: string;
  file: File;
}

/** A value the person typed that cannot be sent; the message names the field. */
export class FormError extends Error {}

/** One control: its element, and how to read its value (undefined: leave the field out). */
export interface Control {
  element: HTMLElement;
  read(path: string, files: FileArgument[]): unknown;
}

/** withoutEnlargement → Without enlargement. */
export function humanise(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function hint(field: InputField): string {
  const parts = [field.description];
  if (field.defaultSdl !== undefined) parts.push(`Default: ${field.defaultSdl}.`);
  if (field.type.list && field.type.kind !== 'INPUT_OBJECT') parts.push('Separate several with commas.');
  return parts.filter(Boolean).join(' ');
}

/** A labelled control with its description as the accessible hint. */
function labelled(field: InputField, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  control.id = nextId('field');
  control.name = field.name;
  const wrapper = el('div', { className: 'field' }, el('label', { htmlFor: control.id, textContent: humanise(field.name) }), control);
  const text = hint(field);
  if (text) {
    const note = el('small', { id: nextId('hint'), textContent: text });
    control.setAttribute('aria-describedby', note.id);
    wrapper.append(note);
  }
  return wrapper;
}

function scalarItem(type: TypeRef, text: string, label: string): unknown {
  if (type.kind === 'ENUM') return text.toUpperCase();
  switch (type.name) {
    case 'Int':
    case 'Float': {
      const number = Number(text);
      if (text === '' || !Number.isFinite(number)) throw new FormError(`${label}: "${text}" is not a number.`);
      return number;
    }
    case 'Boolean':
      return text === 'true';
    default:
      return text;
  }
}

const required = (field: InputField): boolean => field.type.required && field.default === undefined;

function uploadControl(field: InputField): Control {
  const input = el('input', { type: 'file', required: required(field), multiple: field.type.list });
  input.accept = 'image/*';
  return {
    element: labelled(field, input),
    read: (path, files) => {
      const chosen = [...(input.files ?? [])];
      if (chosen.length === 0) return undefined;
      if (!field.type.list) {
        files.push({ path, file: chosen[0] });
        return null;
      }
      chosen.forEach((file, i) => files.push({ path: `${path}.${i}`, file }));
      return chosen.map(() => null);
    },
  };
}

function enumControl(field: InputField): Control {
  const values = catalogue.enums[field.type.name]?.values ?? [];
  const select = el('select', { required: required(field) });
  if (!required(field)) select.append(el('option', { value: '', textContent: field.defaultSdl ? `default (${field.defaultSdl})` : 'default' }));
  for (const value of values) select.append(el('option', { value: value.name, textContent: value.name, title: value.description }));
  return { element: labelled(field, select), read: () => (select.value === '' ? undefined : select.value) };
}

function booleanControl(field: InputField): Control {
  const fallback = field.default === true;
  const box = el('input', { type: 'checkbox', checked: fallback });
  const element = labelled(field, box);
  element.classList.add('checkbox');
  // Sent only when it differs from what the server would assume anyway.
  return { element, read: () => (field.type.required || box.checked !== fallback ? box.checked : undefined) };
}

function textControl(field: InputField): Control {
  const isNumber = !field.type.list && (field.type.name === 'Int' || field.type.name === 'Float');
  const input = el('input', { type: isNumber ? 'number' : 'text', required: required(field) });
  if (isNumber) input.step = field.type.name === 'Int' ? '1' : 'any';
  if (field.defaultSdl !== undefined) input.placeholder = field.defaultSdl.replace(/^\[|\]$|"/g, '');
  const label = humanise(field.name);
  return {
    element: labelled(field, input),
    read: () => {
      const text = input.value.trim();
      if (text === '') return undefined;
      if (!field.type.list) return scalarItem(field.type, text, label);
      return text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => scalarItem(field.type, part, label));
    },
  };
}

/** Lists of input objects: rare enough that JSON, checked here, is the honest control. */
function jsonControl(field: InputField): Control {
  const area = el('textarea', { rows: 2, required: required(field), placeholder: `JSON: ${field.type.sdl}` });
  const label = humanise(field.name);
  return {
    element: labelled(field, area),
    read: () => {
      if (area.value.trim() === '') return undefined;
      try {
        return JSON.parse(area.value) as unknown;
      } catch {
        throw new FormError(`${label}: not valid JSON.`);
      }
    },
  };
}

/** The fields of an input object, grouped; its value leaves out what was left empty. */
export function fieldsControl(typeName: string, legend?: string): Control {
  const input = catalogue.inputs[typeName];
  const controls = input.fields.map((field) => ({ field, control: controlFor(field) }));
  const element = legend ? el('fieldset', { className: 'group' }, el('legend', { textContent: legend })) : el('div', { className: 'fields' });
  element.append(...controls.map(({ control }) => control.element));
  return {
    element,
    read: (path, files) => {
      const value: Record<string, unknown> = {};
      for (const { field, control } of controls) {
        const v = control.read(`${path}.${field.name}`, files);
        if (v !== undefined) value[field.name] = v;
      }
      return Object.keys(value).length > 0 ? value : undefined;
    },
  };
}

export function controlFor(field: InputField): Control {
  const { type } = field;
  if (type.kind === 'INPUT_OBJECT') return type.list ? jsonControl(field) : nestedControl(field);
  if (type.name === 'Upload') return uploadControl(field);
  if (type.list) return textControl(field);
  if (type.kind === 'ENUM') return enumControl(field);
  if (type.name === 'Boolean') return booleanControl(field);
  return textControl(field);
}

/**
 * A nested input object. An optional one (a mark, a focus point) is asked for with
 * the checkbox in its legend: until it is ticked its fields are disabled, so they
 * are neither sent nor required, and ticked with every field left empty it is sent
 * with the schema's defaults.
 */
function nestedControl(field: InputField): Control {
  const group = fieldsControl(field.type.name, humanise(field.name));
  if (field.description) group.element.append(el('small', { textContent: field.description }));
  if (field.type.required) return group;
  const fieldset = group.element as HTMLFieldSetElement;
  const toggle = el('input', { type: 'checkbox', id: nextId('field') });
  toggle.name = field.name;
  // Controls in a fieldset's first legend stay usable while the fieldset is disabled.
  fieldset.querySelector('legend')!.replaceChildren(toggle, el('label', { htmlFor: toggle.id, textContent: humanise(field.name) }));
  if (field.description) {
    const note = fieldset.querySelector<HTMLElement>(':scope > small')!;
    note.id = nextId('hint');
    toggle.setAttribute('aria-describedby', note.id);
  }
  fieldset.disabled = true;
  toggle.addEventListener('change', () => (fieldset.disabled = !toggle.checked));
  return {
    element: fieldset,
    read: (path, files) => (toggle.checked ? (group.read(path, files) ?? {}) : undefined),
  };
}
